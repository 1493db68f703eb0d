// Command overload drives the function past saturation over HTTPS and reports, per phase, how
// every request ended: answered (patched, admitted with a warning, denied), refused (429), too
// late (no answer within the webhook timeout), or failed, with latency percentiles per outcome,
// and the function's RSS while it ran. It also stands in for a slow API server and measures TLS
// handshakes. Only the standard library: it builds from a fresh Go toolchain with no downloads.
//
//	overload api -listen 127.0.0.1:18301 -delay 2s             # stand-in API server
//	overload saturate -url https://127.0.0.1:18302/mutate -review r.json -workers 64 -duration 20s
//	overload attack -url ... -review r.json -rate 8000 -duration 60s -unique 0.5 -pid 1234
//	overload handshake -addr 127.0.0.1:18302 -n 200
//	overload silent -addr 127.0.0.1:18302 -rate 1000 -duration 30s -pid 1234  # connections that never speak
package main

import (
	"fmt"
	"os"
)

func main() {
	if len(os.Args) < 2 {
		fmt.Fprintln(os.Stderr, "usage: overload api|saturate|attack|handshake|silent [flags]")
		os.Exit(2)
	}
	var err error
	switch os.Args[1] {
	case "api":
		err = runAPI(os.Args[2:])
	case "saturate":
		err = runSaturate(os.Args[2:])
	case "attack":
		err = runAttack(os.Args[2:])
	case "handshake":
		err = runHandshake(os.Args[2:])
	case "silent":
		err = runSilent(os.Args[2:])
	default:
		err = fmt.Errorf("unknown command %q", os.Args[1])
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "overload:", err)
		os.Exit(1)
	}
}
