// infra-image wraps static binaries built from the Go module proxy into one-layer images and
// writes them as a docker-archive tarball that `ctr images import` loads, so the Knative suite's
// cluster (pause, CoreDNS, Traefik, Knative Serving) runs without any registry.
//
//	infra-image -tag dev.local/coredns:v1.11.3 -out coredns.tar -entrypoint /coredns \
//	    [-user 65532] [-env KO_DATA_PATH=/var/run/ko] bin/coredns:/coredns
package main

import (
	"archive/tar"
	"bytes"
	"flag"
	"fmt"
	"io"
	"log"
	"os"
	"path"
	"strings"
	"time"

	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/empty"
	"github.com/google/go-containerregistry/pkg/v1/mutate"
	"github.com/google/go-containerregistry/pkg/v1/tarball"
)

type list []string

func (l *list) String() string     { return strings.Join(*l, ",") }
func (l *list) Set(s string) error { *l = append(*l, s); return nil }

func main() {
	tag := flag.String("tag", "", "image reference, e.g. dev.local/coredns:v1.11.3")
	out := flag.String("out", "", "docker-archive tarball to write")
	entrypoint := flag.String("entrypoint", "", "entrypoint path in the image")
	user := flag.String("user", "", "user the image runs as")
	var env list
	flag.Var(&env, "env", "KEY=VALUE, repeatable")
	flag.Parse()
	if *tag == "" || *out == "" || *entrypoint == "" || flag.NArg() == 0 {
		flag.Usage()
		os.Exit(2)
	}
	layer, err := layerOf(flag.Args())
	if err != nil {
		log.Fatal(err)
	}
	img, err := mutate.AppendLayers(empty.Image, layer)
	if err != nil {
		log.Fatal(err)
	}
	cfg, err := img.ConfigFile()
	if err != nil {
		log.Fatal(err)
	}
	cfg = cfg.DeepCopy()
	cfg.OS, cfg.Architecture = "linux", "amd64"
	cfg.Config.Entrypoint = []string{*entrypoint}
	cfg.Config.User = *user
	cfg.Config.Env = env
	if img, err = mutate.ConfigFile(img, cfg); err != nil {
		log.Fatal(err)
	}
	ref, err := name.NewTag(*tag)
	if err != nil {
		log.Fatal(err)
	}
	if err := tarball.WriteToFile(*out, ref, img); err != nil {
		log.Fatal(err)
	}
}

// layerOf builds one layer holding each src:dst file, its parent directories and a world-writable
// /tmp; times are zero so that the same binaries give the same digest.
func layerOf(files []string) (v1.Layer, error) {
	var buf bytes.Buffer
	tw := tar.NewWriter(&buf)
	epoch := time.Unix(0, 0)
	if err := tw.WriteHeader(&tar.Header{Typeflag: tar.TypeDir, Name: "tmp/", Mode: 01777, ModTime: epoch}); err != nil {
		return nil, err
	}
	for _, f := range files {
		src, dst, ok := strings.Cut(f, ":")
		if !ok || !strings.HasPrefix(dst, "/") {
			return nil, fmt.Errorf("want SRC:/DST, got %q", f)
		}
		dst = strings.TrimPrefix(dst, "/")
		data, err := os.ReadFile(src)
		if err != nil {
			return nil, err
		}
		if err := writeParents(tw, dst, epoch); err != nil {
			return nil, err
		}
		if err := tw.WriteHeader(&tar.Header{Typeflag: tar.TypeReg, Name: dst, Mode: 0o755, Size: int64(len(data)), ModTime: epoch}); err != nil {
			return nil, err
		}
		if _, err := tw.Write(data); err != nil {
			return nil, err
		}
	}
	if err := tw.Close(); err != nil {
		return nil, err
	}
	data := buf.Bytes()
	return tarball.LayerFromOpener(func() (io.ReadCloser, error) { return io.NopCloser(bytes.NewReader(data)), nil })
}

// written records the directories already in the layer.
var written = map[string]bool{"tmp/": true}

// writeParents writes dst's missing parent directories, shallowest first.
func writeParents(tw *tar.Writer, dst string, epoch time.Time) error {
	var parents []string
	for dir := path.Dir(dst); dir != "."; dir = path.Dir(dir) {
		parents = append([]string{dir + "/"}, parents...)
	}
	for _, p := range parents {
		if written[p] {
			continue
		}
		written[p] = true
		if err := tw.WriteHeader(&tar.Header{Typeflag: tar.TypeDir, Name: p, Mode: 0o755, ModTime: epoch}); err != nil {
			return err
		}
	}
	return nil
}
