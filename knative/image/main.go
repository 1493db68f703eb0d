// Command mkimage writes the pod identity function's container image as a docker-archive tarball
// (what `docker save` writes; `docker load` and `ctr images import` read it) from a staged root
// file system, without a container engine. knative/build-image.sh stages the root and calls it.
//
//	mkimage -root DIR -tag REF -output FILE [-created UNIX] [-arch amd64]
//	        -layer NAME=PATH[,PATH...] ...   layers in order, bottom first; PATHs relative to DIR;
//	                                         the first layer holds everything no other layer names
//	        [-user U] [-workdir D] [-entrypoint JSON] [-env K=V ...] [-port 8080/tcp ...] [-label K=V ...]
//
// Every file keeps its mode and its modification time (whole seconds: what the JVM compares when it
// checks that the runtime image and jars are those its AOT cache was trained with); directories get
// the -created time, since copying into them changed theirs; everything is owned by root:root.
// Entries are written in lexical order with no time of the build in them, so the same staged root
// and flags give the same layers, the same config and the same image digest.
package main

import (
	"archive/tar"
	"bufio"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"sort"
	"strings"
	"syscall"
	"time"

	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/empty"
	"github.com/google/go-containerregistry/pkg/v1/mutate"
	"github.com/google/go-containerregistry/pkg/v1/tarball"
)

type list []string

func (l *list) String() string     { return strings.Join(*l, " ") }
func (l *list) Set(s string) error { *l = append(*l, s); return nil }

type layerSpec struct {
	name  string
	paths []string // cleaned, relative to the root, no leading slash
}

func main() {
	log := func(format string, args ...any) { fmt.Fprintf(os.Stderr, "mkimage: "+format+"\n", args...) }
	fail := func(err error) { log("%v", err); os.Exit(1) }

	root := flag.String("root", "", "staged root file system")
	tag := flag.String("tag", "", "image reference written into the archive")
	output := flag.String("output", "", "docker-archive tarball to write")
	created := flag.Int64("created", 0, "creation time of the image, seconds since 1970 (history and config)")
	arch := flag.String("arch", "amd64", "architecture")
	user := flag.String("user", "", "user")
	workdir := flag.String("workdir", "", "working directory")
	entrypoint := flag.String("entrypoint", "", "entrypoint as a JSON array")
	var layers, envs, ports, labels list
	flag.Var(&layers, "layer", "NAME=PATH[,PATH...], bottom first")
	flag.Var(&envs, "env", "K=V")
	flag.Var(&ports, "port", "exposed port, e.g. 8080/tcp")
	flag.Var(&labels, "label", "K=V")
	flag.Parse()
	if *root == "" || *tag == "" || *output == "" || len(layers) == 0 || flag.NArg() > 0 {
		flag.Usage()
		os.Exit(2)
	}

	specs, err := parseLayers(layers)
	if err != nil {
		fail(err)
	}
	ref, err := name.NewTag(*tag, name.StrictValidation)
	if err != nil {
		fail(err)
	}
	when := time.Unix(*created, 0).UTC()

	tmp, err := os.MkdirTemp(filepath.Dir(*output), ".mkimage-")
	if err != nil {
		fail(err)
	}
	defer os.RemoveAll(tmp)

	img := empty.Image
	var uncompressed int64
	for i, spec := range specs {
		var claimed map[string]bool
		if i == 0 { // the rest: everything the other layers do not name
			claimed = map[string]bool{}
			for _, other := range specs[1:] {
				for _, p := range other.paths {
					claimed[p] = true
				}
			}
		}
		file := filepath.Join(tmp, spec.name+".tar")
		n, entries, err := writeLayer(*root, spec, claimed, when, file)
		if err != nil {
			fail(fmt.Errorf("layer %s: %w", spec.name, err))
		}
		uncompressed += n
		layer, err := tarball.LayerFromFile(file)
		if err != nil {
			fail(err)
		}
		img, err = mutate.Append(img, mutate.Addendum{
			Layer: layer,
			History: v1.History{
				Created:   v1.Time{Time: when},
				CreatedBy: "knative/build-image.sh: " + spec.name + " (" + describe(spec, i) + ")",
			},
		})
		if err != nil {
			fail(err)
		}
		digest, err := layer.Digest()
		if err != nil {
			fail(err)
		}
		size, err := layer.Size()
		if err != nil {
			fail(err)
		}
		log("layer %d %-5s %5d entries %10d bytes, %10d gzipped  %s", i+1, spec.name, entries, n, size, digest)
	}

	cf, err := img.ConfigFile()
	if err != nil {
		fail(err)
	}
	cf = cf.DeepCopy()
	cf.Created = v1.Time{Time: when}
	cf.OS = "linux"
	cf.Architecture = *arch
	cf.Config.User = *user
	cf.Config.WorkingDir = *workdir
	cf.Config.Env = envs
	if *entrypoint != "" {
		if err := json.Unmarshal([]byte(*entrypoint), &cf.Config.Entrypoint); err != nil {
			fail(fmt.Errorf("-entrypoint: %w", err))
		}
	}
	if len(ports) > 0 {
		cf.Config.ExposedPorts = map[string]struct{}{}
		for _, p := range ports {
			cf.Config.ExposedPorts[p] = struct{}{}
		}
	}
	if len(labels) > 0 {
		cf.Config.Labels = map[string]string{}
		for _, l := range labels {
			k, v, ok := strings.Cut(l, "=")
			if !ok {
				fail(fmt.Errorf("-label %q: not K=V", l))
			}
			cf.Config.Labels[k] = v
		}
	}
	img, err = mutate.ConfigFile(img, cf)
	if err != nil {
		fail(err)
	}

	part := *output + ".part"
	if err := tarball.WriteToFile(part, ref, img); err != nil {
		fail(err)
	}
	if err := os.Rename(part, *output); err != nil {
		fail(err)
	}
	st, err := os.Stat(*output)
	if err != nil {
		fail(err)
	}
	id, err := img.ConfigName()
	if err != nil {
		fail(err)
	}
	manifest, err := img.Digest()
	if err != nil {
		fail(err)
	}
	// Machine-readable, one fact a line, for the calling script.
	w := bufio.NewWriter(os.Stdout)
	fmt.Fprintf(w, "tarball-bytes %d\nuncompressed-bytes %d\nimage-id %s\nmanifest-digest %s\n", st.Size(), uncompressed, id, manifest)
	w.Flush()
}

// describe names what a layer holds, for the image's history.
func describe(spec layerSpec, i int) string {
	var names []string
	for _, p := range spec.paths {
		names = append(names, "/"+p)
	}
	if i == 0 {
		return strings.Join(names, " ") + " but the other layers"
	}
	return strings.Join(names, " ")
}

func parseLayers(args []string) ([]layerSpec, error) {
	var specs []layerSpec
	seen := map[string]bool{}
	for _, a := range args {
		n, ps, ok := strings.Cut(a, "=")
		if !ok || n == "" || ps == "" {
			return nil, fmt.Errorf("-layer %q: not NAME=PATH[,PATH...]", a)
		}
		spec := layerSpec{name: n}
		for _, p := range strings.Split(ps, ",") {
			p = strings.TrimPrefix(path.Clean("/"+p), "/")
			if p == "" && len(specs) > 0 {
				return nil, fmt.Errorf("-layer %q: only the first layer may hold the whole root", a)
			}
			if seen[p] {
				return nil, fmt.Errorf("-layer %q: %s is in two layers", a, p)
			}
			seen[p] = true
			spec.paths = append(spec.paths, p)
		}
		specs = append(specs, spec)
	}
	return specs, nil
}

// writeLayer writes the tar of one layer to file: the parent directories of its paths, then each
// path and what is under it, in lexical order. claimed (first layer only): paths left to other layers.
func writeLayer(root string, spec layerSpec, claimed map[string]bool, dirTime time.Time, file string) (int64, int, error) {
	f, err := os.Create(file)
	if err != nil {
		return 0, 0, err
	}
	defer f.Close()
	counter := &countingWriter{w: bufio.NewWriterSize(f, 1<<20)}
	tw := tar.NewWriter(counter)
	l := &layerWriter{root: root, tw: tw, dirTime: dirTime, written: map[string]bool{}, links: map[[2]uint64]string{}}

	paths := append([]string(nil), spec.paths...)
	sort.Strings(paths)
	for _, p := range paths {
		if claimed == nil {
			if err := l.parents(p); err != nil {
				return 0, 0, err
			}
		}
		start := filepath.Join(root, filepath.FromSlash(p))
		err := filepath.WalkDir(start, func(full string, d fs.DirEntry, err error) error {
			if err != nil {
				return err
			}
			rel, err := filepath.Rel(root, full)
			if err != nil {
				return err
			}
			rel = filepath.ToSlash(rel)
			if rel == "." {
				return nil
			}
			if claimed[rel] {
				if d.IsDir() {
					return filepath.SkipDir
				}
				return nil
			}
			return l.entry(rel)
		})
		if err != nil {
			return 0, 0, err
		}
	}
	if err := tw.Close(); err != nil {
		return 0, 0, err
	}
	if err := counter.w.(*bufio.Writer).Flush(); err != nil {
		return 0, 0, err
	}
	return counter.n, l.entries, f.Close()
}

type layerWriter struct {
	root    string
	tw      *tar.Writer
	dirTime time.Time
	written map[string]bool
	links   map[[2]uint64]string // device and inode -> first name: hard links stay hard links
	entries int
}

// parents writes the directories above rel that the layer has not written yet, top first.
func (l *layerWriter) parents(rel string) error {
	var dirs []string
	for dir := path.Dir(rel); dir != "."; dir = path.Dir(dir) {
		dirs = append([]string{dir}, dirs...)
	}
	for _, dir := range dirs {
		if err := l.entry(dir); err != nil {
			return err
		}
	}
	return nil
}

func (l *layerWriter) entry(rel string) error {
	if l.written[rel] {
		return nil
	}
	l.written[rel] = true
	full := filepath.Join(l.root, filepath.FromSlash(rel))
	st, err := os.Lstat(full)
	if err != nil {
		return err
	}
	sys, ok := st.Sys().(*syscall.Stat_t)
	if !ok {
		return errors.New("no stat_t for " + full)
	}
	mode := st.Mode()
	hdr := &tar.Header{
		Name:    rel,
		Mode:    int64(mode.Perm()),
		ModTime: time.Unix(sys.Mtim.Sec, 0), // whole seconds, as stat(2) callers such as the JVM see them
		Format:  tar.FormatPAX,
	}
	if mode&fs.ModeSetuid != 0 {
		hdr.Mode |= 04000
	}
	if mode&fs.ModeSetgid != 0 {
		hdr.Mode |= 02000
	}
	if mode&fs.ModeSticky != 0 {
		hdr.Mode |= 01000
	}
	var body *os.File
	switch {
	case mode.IsDir():
		hdr.Typeflag = tar.TypeDir
		hdr.Name += "/"
		hdr.ModTime = l.dirTime
	case mode&fs.ModeSymlink != 0:
		hdr.Typeflag = tar.TypeSymlink
		if hdr.Linkname, err = os.Readlink(full); err != nil {
			return err
		}
	case mode.IsRegular():
		key := [2]uint64{uint64(sys.Dev), sys.Ino}
		if first, ok := l.links[key]; ok && sys.Nlink > 1 {
			hdr.Typeflag = tar.TypeLink
			hdr.Linkname = first
			break
		}
		l.links[key] = rel
		hdr.Typeflag = tar.TypeReg
		hdr.Size = st.Size()
		if body, err = os.Open(full); err != nil {
			return err
		}
		defer body.Close()
	default:
		return fmt.Errorf("%s: unsupported file type %v", full, mode.Type())
	}
	if err := l.tw.WriteHeader(hdr); err != nil {
		return err
	}
	if body != nil {
		if n, err := io.Copy(l.tw, body); err != nil {
			return err
		} else if n != hdr.Size {
			return fmt.Errorf("%s changed while it was read", full)
		}
	}
	l.entries++
	return nil
}

type countingWriter struct {
	w io.Writer
	n int64
}

func (c *countingWriter) Write(p []byte) (int, error) {
	n, err := c.w.Write(p)
	c.n += int64(n)
	return n, err
}
