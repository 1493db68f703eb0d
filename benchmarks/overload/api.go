package main

import (
	"flag"
	"fmt"
	"net/http"
	"strings"
	"sync/atomic"
	"time"
)

// runAPI serves GET /api/v1/namespaces/<ns>/serviceaccounts/<name> for any name, each annotated
// with a role ARN named after it, after a delay that POST /delay?d=<duration> changes while it
// runs (the phases of a run switch the API server from healthy to slow without a restart).
func runAPI(args []string) error {
	fs := flag.NewFlagSet("api", flag.ExitOnError)
	listen := fs.String("listen", "127.0.0.1:18301", "address")
	delay := fs.Duration("delay", 0, "delay before each ServiceAccount answer")
	fs.Parse(args)
	var current atomic.Int64
	current.Store(int64(*delay))
	var served, inFlight, maxInFlight atomic.Int64
	mux := http.NewServeMux()
	mux.HandleFunc("POST /delay", func(w http.ResponseWriter, r *http.Request) {
		d, err := time.ParseDuration(r.URL.Query().Get("d"))
		if err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		current.Store(int64(d))
		fmt.Fprintf(w, "delay %s\n", d)
	})
	mux.HandleFunc("GET /stats", func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprintf(w, "{\"served\":%d,\"maxInFlight\":%d}\n", served.Load(), maxInFlight.Swap(inFlight.Load()))
	})
	mux.HandleFunc("GET /api/v1/namespaces/{ns}/serviceaccounts/{name}", func(w http.ResponseWriter, r *http.Request) {
		n := inFlight.Add(1)
		defer inFlight.Add(-1)
		for {
			m := maxInFlight.Load()
			if n <= m || maxInFlight.CompareAndSwap(m, n) {
				break
			}
		}
		select {
		case <-time.After(time.Duration(current.Load())):
		case <-r.Context().Done():
			return
		}
		served.Add(1)
		ns, name := r.PathValue("ns"), r.PathValue("name")
		w.Header().Set("Content-Type", "application/json")
		fmt.Fprintf(w, `{"apiVersion":"v1","kind":"ServiceAccount","metadata":{"name":%q,"namespace":%q,`+
			`"uid":"00000000-0000-4000-8000-000000000000","annotations":{"eks.amazonaws.com/role-arn":`+
			`"arn:aws:iam::111122223333:role/%s"}}}`, name, ns, strings.ReplaceAll(name, `"`, ""))
	})
	mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		http.Error(w, `{"kind":"Status","code":404}`, http.StatusNotFound)
	})
	fmt.Printf("stand-in API server on http://%s, delay %s\n", *listen, *delay)
	return http.ListenAndServe(*listen, mux)
}
