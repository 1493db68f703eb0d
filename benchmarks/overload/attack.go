package main

import (
	"crypto/tls"
	"flag"
	"fmt"
	"math/rand/v2"
	"net"
	"os"
	"sort"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

type common struct {
	url, review, out, label string
	h1                      bool
	conns                   int
	timeout                 time.Duration
}

func (c *common) register(fs *flag.FlagSet) {
	fs.StringVar(&c.url, "url", "https://127.0.0.1:18302/mutate", "the webhook")
	fs.StringVar(&c.review, "review", "", "an AdmissionReview to send (its namespace, uid and ServiceAccount are replaced)")
	fs.StringVar(&c.out, "out", "", "append the summary as a JSON line to this file")
	fs.StringVar(&c.label, "label", "run", "the phase's name in the report")
	fs.BoolVar(&c.h1, "h1", false, "HTTP/1.1 over TLS instead of HTTP/2")
	fs.IntVar(&c.conns, "conns", 64, "connections at most (HTTP/1.1: one request each at a time)")
	fs.DurationVar(&c.timeout, "timeout", 10*time.Second, "the webhook timeout: no answer by then is too late")
}

// runAttack sends requests at a fixed rate, whatever the answers take (open loop, as pods are
// created whether or not the webhook keeps up), with the share -unique of them for ServiceAccounts
// never seen before, and samples the function's RSS (-pid) meanwhile.
func runAttack(args []string) error {
	fs := flag.NewFlagSet("attack", flag.ExitOnError)
	var c common
	c.register(fs)
	rate := fs.Float64("rate", 1000, "requests per second")
	duration := fs.Duration("duration", 60*time.Second, "how long")
	unique := fs.Float64("unique", 0, "share of requests for a ServiceAccount never asked for before")
	maxInFlight := fs.Int64("max-in-flight", 50000, "requests the generator keeps open at most; more are counted as not sent")
	pid := fs.Int("pid", 0, "the function's process, for RSS and liveness")
	fs.Parse(args)
	rv, err := loadReviews(c.review)
	if err != nil {
		return err
	}
	client := newClient(c.h1, c.conns)
	rec := newRecorder()
	rss := watchRSS(*pid)
	var inFlight, notSent atomic.Int64
	var wg sync.WaitGroup
	interval := time.Duration(float64(time.Second) / *rate)
	start := time.Now()
	for sent := int64(0); ; {
		now := time.Since(start)
		if now >= *duration {
			break
		}
		for due := int64(now / interval); sent < due; sent++ {
			if inFlight.Load() >= *maxInFlight {
				notSent.Add(1)
				continue
			}
			body := rv.next(rand.Float64() < *unique)
			inFlight.Add(1)
			wg.Add(1)
			go func() {
				defer wg.Done()
				defer inFlight.Add(-1)
				send(client, c.url, body, c.timeout, rec)
			}()
		}
		time.Sleep(time.Millisecond)
	}
	wg.Wait()
	s := summarise(c.label, *rate, time.Since(start), notSent.Load(), rec)
	rss.finish(&s)
	return s.print(c.out)
}

// runSaturate keeps -workers requests in flight for -duration (closed loop): the most the
// function answers per second.
func runSaturate(args []string) error {
	fs := flag.NewFlagSet("saturate", flag.ExitOnError)
	var c common
	c.register(fs)
	workers := fs.Int("workers", 64, "requests in flight")
	duration := fs.Duration("duration", 20*time.Second, "how long")
	unique := fs.Float64("unique", 0, "share of requests for a ServiceAccount never asked for before")
	fs.Parse(args)
	rv, err := loadReviews(c.review)
	if err != nil {
		return err
	}
	client := newClient(c.h1, c.conns)
	rec := newRecorder()
	var wg sync.WaitGroup
	start := time.Now()
	for w := 0; w < *workers; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for time.Since(start) < *duration {
				send(client, c.url, rv.next(rand.Float64() < *unique), c.timeout, rec)
			}
		}()
	}
	wg.Wait()
	s := summarise(c.label, 0, time.Since(start), 0, rec)
	return s.print(c.out)
}

// runHandshake opens -n TLS connections one after the other and reports how long each handshake
// took: what a caller pays on every new connection (an API server after a restart, a scale-up, or
// a connection the function closed).
func runHandshake(args []string) error {
	fs := flag.NewFlagSet("handshake", flag.ExitOnError)
	addr := fs.String("addr", "127.0.0.1:18302", "host:port")
	n := fs.Int("n", 200, "handshakes")
	resume := fs.Bool("resume", false, "offer the previous session (TLS 1.3 resumption), as a client with a session cache does")
	label := fs.String("label", "handshake", "the name in the report")
	fs.Parse(args)
	config := &tls.Config{InsecureSkipVerify: true, NextProtos: []string{"h2", "http/1.1"}}
	if *resume {
		config.ClientSessionCache = tls.NewLRUClientSessionCache(8)
	}
	times := make([]time.Duration, 0, *n)
	resumed := 0
	for i := 0; i < *n; i++ {
		start := time.Now()
		conn, err := tls.DialWithDialer(&net.Dialer{Timeout: 10 * time.Second}, "tcp", *addr, config)
		if err != nil {
			return err
		}
		times = append(times, time.Since(start))
		if conn.ConnectionState().DidResume {
			resumed++
		}
		// TLS 1.3 tickets arrive after the handshake: read briefly so the client stores one.
		if *resume {
			conn.SetReadDeadline(time.Now().Add(20 * time.Millisecond))
			conn.Read(make([]byte, 1))
		}
		conn.Close()
	}
	sort.Slice(times, func(i, j int) bool { return times[i] < times[j] })
	fmt.Printf("%s: %d handshakes, %d resumed, p50 %s ms, p90 %s ms, p99 %s ms\n", *label, *n, resumed,
		ms(percentile(times, 0.5)), ms(percentile(times, 0.9)), ms(percentile(times, 0.99)))
	return nil
}

// rssWatch samples a process's resident memory every 100 ms.
type rssWatch struct {
	pid  int
	max  atomic.Int64
	stop chan struct{}
	done chan struct{}
}

func watchRSS(pid int) *rssWatch {
	w := &rssWatch{pid: pid, stop: make(chan struct{}), done: make(chan struct{})}
	go func() {
		defer close(w.done)
		for pid > 0 {
			if kib, ok := rssKiB(pid); ok && kib > w.max.Load() {
				w.max.Store(kib)
			}
			select {
			case <-w.stop:
				return
			case <-time.After(100 * time.Millisecond):
			}
		}
	}()
	return w
}

func (w *rssWatch) finish(s *summary) {
	close(w.stop)
	<-w.done
	if w.pid <= 0 {
		return
	}
	kib, alive := rssKiB(w.pid)
	s.Alive = &alive
	s.RSSMaxMiB = float64(w.max.Load()) / 1024
	s.RSSEndMiB = float64(kib) / 1024
}

// rssKiB reads VmRSS of a live (not zombie) process.
func rssKiB(pid int) (int64, bool) {
	b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/status")
	if err != nil {
		return 0, false
	}
	var kib int64 = -1
	for _, line := range strings.Split(string(b), "\n") {
		if strings.HasPrefix(line, "State:") && strings.Contains(line, "Z") {
			return 0, false
		}
		if strings.HasPrefix(line, "VmRSS:") {
			kib, _ = strconv.ParseInt(strings.Fields(line)[1], 10, 64)
		}
	}
	return kib, kib >= 0
}
