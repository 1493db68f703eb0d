// The AWS webhook's admission handler on the JMH fixtures, for the figures beside the function's
// fullPath (benchmarks/README.md). benchmarks/compare/reference-bench.sh copies this file into
// pkg/handler of a temporary copy of the reference module (it is not part of this project's build)
// and runs `go test -bench` there.
//
// What it measures matches fullPath: bytes of an AdmissionReview in, bytes of the answer out, the
// ServiceAccount in a warm in-memory cache (the reference's informer cache in production, its
// test fake here, a map behind a read lock either way), no HTTP server, no logging middleware.
// The ServiceAccount and settings are the JMH set-up's: default/s3-reader with a role ARN and
// regional STS, region eu-west-1, Pod Identity off.
package handler

import (
	"bytes"
	"encoding/json"
	"io"
	"math/rand"
	"net/http"
	"os"
	"path/filepath"
	"testing"

	"github.com/aws/amazon-eks-pod-identity-webhook/pkg/cache"
	"github.com/aws/amazon-eks-pod-identity-webhook/pkg/containercredentials"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// discard is the cheapest http.ResponseWriter: the answer's bytes are kept for the check and
// overwritten by the next one, so the writer adds no allocation per request.
type discard struct {
	header http.Header
	body   bytes.Buffer
	status int
}

func (d *discard) Header() http.Header         { return d.header }
func (d *discard) Write(p []byte) (int, error) { return d.body.Write(p) }
func (d *discard) WriteHeader(status int)      { d.status = status }

func BenchmarkFullPath(b *testing.B) {
	dir := os.Getenv("FIXTURES_DIR")
	if dir == "" {
		b.Fatal("FIXTURES_DIR names the directory of small.json, typical.json and large.json")
	}
	sa := &corev1.ServiceAccount{ObjectMeta: metav1.ObjectMeta{Name: "s3-reader", Namespace: "default",
		Annotations: map[string]string{
			"eks.amazonaws.com/role-arn":               "arn:aws:iam::111122223333:role/s3-reader",
			"eks.amazonaws.com/sts-regional-endpoints": "true",
		}}}
	// main's defaults for the Pod Identity settings; no associations file, so Pod Identity is off.
	credentials := containercredentials.NewFileConfig("pods.eks.amazonaws.com",
		"/var/run/secrets/pods.eks.amazonaws.com/serviceaccount", "eks-pod-identity-token",
		"eks-pod-identity-token", "http://169.254.170.23/v1/credentials")
	modifier := NewModifier(rand.New(rand.NewSource(1)),
		WithServiceAccountCache(cache.NewFakeServiceAccountCache(sa)),
		WithContainerCredentialsConfig(credentials),
		WithRegion("eu-west-1"))

	for _, fixture := range []string{"small", "typical", "large"} {
		body, err := os.ReadFile(filepath.Join(dir, fixture+".json"))
		if err != nil {
			b.Fatal(err)
		}
		request, err := http.NewRequest(http.MethodPost, "/mutate", nil)
		if err != nil {
			b.Fatal(err)
		}
		request.Header.Set("Content-Type", "application/json")
		reader := bytes.NewReader(body)
		w := &discard{header: http.Header{}}
		handle := func() {
			reader.Reset(body)
			request.Body = io.NopCloser(reader)
			w.body.Reset()
			modifier.Handle(w, request)
		}

		// The figure means something only if the pod was mutated as the function mutates it.
		handle()
		var answer struct {
			Response struct {
				Patch []byte `json:"patch"`
			} `json:"response"`
		}
		if err := json.Unmarshal(w.body.Bytes(), &answer); err != nil || len(answer.Response.Patch) == 0 {
			b.Fatalf("%s: no patch in the answer (%v): %s", fixture, err, w.body.String())
		}

		b.Run(fixture, func(b *testing.B) {
			b.ReportAllocs()
			b.SetBytes(int64(len(body)))
			for b.Loop() {
				handle()
			}
		})
	}
}
