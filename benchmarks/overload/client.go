package main

import (
	"bytes"
	"context"
	"crypto/tls"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"sort"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// reviews makes AdmissionReviews from one template: namespace "load", a fresh uid each, and either
// one of 20 ServiceAccounts that stay cached, or one never asked for before (so the API server,
// slow or not, must be called).
type reviews struct {
	before, middle, after []byte // template split at the two placeholders
	uidFirst              bool   // whether the uid comes before the ServiceAccount name
	counter               atomic.Int64
}

func loadReviews(path string) (*reviews, error) {
	raw, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	var review map[string]any
	if err := json.Unmarshal(raw, &review); err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	request, ok := review["request"].(map[string]any)
	if !ok {
		return nil, fmt.Errorf("%s is not an AdmissionReview", path)
	}
	pod := request["object"].(map[string]any)
	request["namespace"] = "load"
	request["uid"] = "@UID@"
	pod["metadata"].(map[string]any)["namespace"] = "load"
	pod["spec"].(map[string]any)["serviceAccountName"] = "@SA@"
	out, err := json.Marshal(review)
	if err != nil {
		return nil, err
	}
	sa := bytes.Index(out, []byte("@SA@"))
	uid := bytes.Index(out, []byte("@UID@"))
	if sa < 0 || uid < 0 {
		return nil, errors.New("the template lost its placeholders")
	}
	if uid < sa {
		return &reviews{before: out[:uid], middle: out[uid+5 : sa], after: out[sa+4:], uidFirst: true}, nil
	}
	return &reviews{before: out[:sa], middle: out[sa+4 : uid], after: out[uid+5:]}, nil
}

// next returns a review whose ServiceAccount is uncached when unique is true.
func (r *reviews) next(unique bool) []byte {
	n := r.counter.Add(1)
	sa := "cached-" + strconv.FormatInt(n%20, 10)
	if unique {
		sa = "new-" + strconv.FormatInt(n, 10)
	}
	b := make([]byte, 0, len(r.before)+len(r.middle)+len(r.after)+64)
	uid := fmt.Sprintf("00000000-0000-4000-8000-%012d", n)
	first, second := sa, uid
	if r.uidFirst {
		first, second = uid, sa
	}
	b = append(b, r.before...)
	b = append(b, first...)
	b = append(b, r.middle...)
	b = append(b, second...)
	return append(b, r.after...)
}

// outcome is how one request ended.
type outcome int

const (
	patched outcome = iota // 200, a patch
	warned                 // 200, allowed without a patch, with a warning (lookup shed or failed)
	allowed                // 200, allowed, no patch, no warning
	denied                 // 200, allowed: false
	refused                // 429
	tooLate                // no answer within the timeout
	failed                 // any other status or error
	outcomes
)

var outcomeNames = [outcomes]string{"patched", "warned", "allowed", "denied", "refused 429", "too late", "failed"}

type answer struct {
	Response struct {
		Allowed  bool     `json:"allowed"`
		Patch    string   `json:"patch"`
		Warnings []string `json:"warnings"`
	} `json:"response"`
}

func classify(status int, body []byte) outcome {
	switch {
	case status == http.StatusTooManyRequests:
		return refused
	case status != http.StatusOK:
		return failed
	}
	var a answer
	if json.Unmarshal(body, &a) != nil {
		return failed
	}
	switch {
	case !a.Response.Allowed:
		return denied
	case a.Response.Patch != "":
		return patched
	case len(a.Response.Warnings) > 0:
		return warned
	}
	return allowed
}

func newClient(h1 bool, conns int) *http.Client {
	t := &http.Transport{
		TLSClientConfig:     &tls.Config{InsecureSkipVerify: true}, // loopback, the run's own certificate
		ForceAttemptHTTP2:   !h1,
		MaxIdleConnsPerHost: conns,
		MaxConnsPerHost:     conns,
		IdleConnTimeout:     90 * time.Second,
	}
	if h1 {
		t.TLSNextProto = map[string]func(string, *tls.Conn) http.RoundTripper{}
	}
	return &http.Client{Transport: t}
}

// recorder keeps every request's outcome and latency; firstErrors keeps a few failures' causes.
type recorder struct {
	mu          sync.Mutex
	latencies   [outcomes][]time.Duration
	firstErrors map[string]int
}

func newRecorder() *recorder { return &recorder{firstErrors: map[string]int{}} }

func (r *recorder) add(o outcome, d time.Duration, cause string) {
	r.mu.Lock()
	r.latencies[o] = append(r.latencies[o], d)
	if cause != "" && len(r.firstErrors) < 8 {
		r.firstErrors[cause]++
	} else if cause != "" {
		if _, ok := r.firstErrors[cause]; ok {
			r.firstErrors[cause]++
		}
	}
	r.mu.Unlock()
}

func (r *recorder) count(o outcome) int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return len(r.latencies[o])
}

func (r *recorder) total() int {
	n := 0
	for o := outcome(0); o < outcomes; o++ {
		n += r.count(o)
	}
	return n
}

// send posts one review and records how it ended.
func send(client *http.Client, url string, body []byte, timeout time.Duration, rec *recorder) {
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	req, _ := http.NewRequestWithContext(ctx, http.MethodPost, url, bytes.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	start := time.Now()
	resp, err := client.Do(req)
	if err == nil {
		var b []byte
		b, err = io.ReadAll(resp.Body)
		resp.Body.Close()
		if err == nil {
			rec.add(classify(resp.StatusCode, b), time.Since(start), "")
			return
		}
	}
	if errors.Is(err, context.DeadlineExceeded) {
		rec.add(tooLate, time.Since(start), "")
		return
	}
	cause := err.Error()
	if i := strings.LastIndex(cause, ": "); i >= 0 {
		cause = cause[i+2:]
	}
	rec.add(failed, time.Since(start), cause)
}

func percentile(sorted []time.Duration, p float64) time.Duration {
	if len(sorted) == 0 {
		return 0
	}
	i := int(float64(len(sorted))*p+0.5) - 1
	if i < 0 {
		i = 0
	}
	if i >= len(sorted) {
		i = len(sorted) - 1
	}
	return sorted[i]
}

func ms(d time.Duration) string {
	return strconv.FormatFloat(float64(d.Microseconds())/1000, 'f', 1, 64)
}

// summary is one phase's result, as printed and as written to -out.
type summary struct {
	Label        string         `json:"label"`
	OfferedRate  float64        `json:"offeredRate"`
	AchievedRate float64        `json:"achievedRate"`
	NotSent      int64          `json:"notSent"`
	Counts       map[string]int `json:"counts"`
	AnsweredP50  float64        `json:"answeredP50Ms"`
	AnsweredP99  float64        `json:"answeredP99Ms"`
	AnsweredMax  float64        `json:"answeredMaxMs"`
	RefusedMax   float64        `json:"refusedMaxMs"`
	Errors       map[string]int `json:"errors,omitempty"`
	RSSMaxMiB    float64        `json:"rssMaxMiB,omitempty"`
	RSSEndMiB    float64        `json:"rssEndMiB,omitempty"`
	Alive        *bool          `json:"alive,omitempty"`
}

func summarise(label string, offered float64, elapsed time.Duration, notSent int64, rec *recorder) summary {
	s := summary{Label: label, OfferedRate: offered, NotSent: notSent, Counts: map[string]int{}, Errors: rec.firstErrors}
	var answered []time.Duration
	rec.mu.Lock()
	for o := outcome(0); o < outcomes; o++ {
		s.Counts[outcomeNames[o]] = len(rec.latencies[o])
		if o <= denied {
			answered = append(answered, rec.latencies[o]...)
		}
	}
	refusals := append([]time.Duration(nil), rec.latencies[refused]...)
	rec.mu.Unlock()
	sort.Slice(answered, func(i, j int) bool { return answered[i] < answered[j] })
	sort.Slice(refusals, func(i, j int) bool { return refusals[i] < refusals[j] })
	total := 0
	for _, c := range s.Counts {
		total += c
	}
	s.AchievedRate = float64(total) / elapsed.Seconds()
	toMs := func(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 }
	s.AnsweredP50, s.AnsweredP99 = toMs(percentile(answered, 0.5)), toMs(percentile(answered, 0.99))
	s.AnsweredMax = toMs(percentile(answered, 1))
	s.RefusedMax = toMs(percentile(refusals, 1))
	return s
}

func (s summary) print(out string) error {
	fmt.Printf("%s: offered %.0f/s, achieved %.0f/s, not sent %d\n", s.Label, s.OfferedRate, s.AchievedRate, s.NotSent)
	for o := outcome(0); o < outcomes; o++ {
		fmt.Printf("  %-12s %d\n", outcomeNames[o], s.Counts[outcomeNames[o]])
	}
	fmt.Printf("  answered p50 %.1f ms, p99 %.1f ms, max %.1f ms; refused max %.1f ms\n",
		s.AnsweredP50, s.AnsweredP99, s.AnsweredMax, s.RefusedMax)
	for cause, n := range s.Errors {
		fmt.Printf("  error x%d: %s\n", n, cause)
	}
	if s.Alive != nil {
		fmt.Printf("  function alive: %v, RSS max %.0f MiB, at the end %.0f MiB\n", *s.Alive, s.RSSMaxMiB, s.RSSEndMiB)
	}
	if out == "" {
		return nil
	}
	b, _ := json.Marshal(s)
	f, err := os.OpenFile(out, os.O_APPEND|os.O_CREATE|os.O_WRONLY, 0o644)
	if err != nil {
		return err
	}
	defer f.Close()
	_, err = f.Write(append(b, '\n'))
	return err
}
