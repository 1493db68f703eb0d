package main

import (
	"flag"
	"fmt"
	"net"
	"sync"
	"sync/atomic"
	"time"
)

// runSilent opens TCP connections to the function's HTTPS port at a fixed rate and never sends a
// byte, as a client that costs itself nothing would; each is closed after -hold unless the
// function closes it first. Reports how many were open at once at most, and how many the function
// closed, with the function's RSS: what a connection held before any TLS handshake costs.
func runSilent(args []string) error {
	fs := flag.NewFlagSet("silent", flag.ExitOnError)
	addr := fs.String("addr", "127.0.0.1:18302", "host:port")
	rate := fs.Float64("rate", 1000, "connections per second")
	duration := fs.Duration("duration", 30*time.Second, "how long to open them")
	hold := fs.Duration("hold", 15*time.Second, "how long a connection is kept unless the function closes it")
	pid := fs.Int("pid", 0, "the function's process, for RSS and liveness")
	label := fs.String("label", "silent", "the name in the report")
	fs.Parse(args)
	var open, peak, closedByFunction, failed atomic.Int64
	var wg sync.WaitGroup
	rss := watchRSS(*pid)
	interval := time.Duration(float64(time.Second) / *rate)
	start := time.Now()
	for n := 0; time.Since(start) < *duration; n++ {
		if wait := time.Until(start.Add(time.Duration(n) * interval)); wait > 0 {
			time.Sleep(wait)
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			conn, err := net.DialTimeout("tcp", *addr, 5*time.Second)
			if err != nil {
				failed.Add(1)
				return
			}
			defer conn.Close()
			now := open.Add(1)
			for p := peak.Load(); now > p && !peak.CompareAndSwap(p, now); p = peak.Load() {
			}
			defer open.Add(-1)
			conn.SetReadDeadline(time.Now().Add(*hold))
			if _, err := conn.Read(make([]byte, 1)); err != nil {
				if ne, ok := err.(net.Error); !ok || !ne.Timeout() {
					closedByFunction.Add(1)
				}
			}
		}()
	}
	wg.Wait()
	var s summary
	rss.finish(&s)
	alive := "not watched"
	if s.Alive != nil {
		alive = fmt.Sprintf("%v, RSS max %.0f MiB", *s.Alive, s.RSSMaxMiB)
	}
	fmt.Printf("%s: %.0f/s for %s, each held %s unless closed: at most %d open at once, %d closed by the function, %d not connected; function alive: %s\n",
		*label, *rate, *duration, *hold, peak.Load(), closedByFunction.Load(), failed.Load(), alive)
	return nil
}
