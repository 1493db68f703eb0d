#!/usr/bin/env python3
"""Answers per second of a vegeta attack: reads `vegeta encode --to json` lines on stdin and prints,
for each second from the first request on, the count of each status (0: no answer in time) and the
median and largest latency of the requests sent in that second.

    vegeta encode --to json < admissions-function-aot.bin | benchmarks/compare/per-second.py
"""
import collections
import datetime
import json
import sys


def sent_at(result):
    # RFC 3339 with nanoseconds: microseconds are enough to bucket by second.
    stamp = result["timestamp"]
    head, dot, rest = stamp.partition(".")
    if not dot:
        return datetime.datetime.fromisoformat(stamp.replace("Z", "+00:00"))
    digits = len(rest) - len(rest.lstrip("0123456789"))
    zone = rest[digits:].replace("Z", "+00:00")
    return datetime.datetime.fromisoformat(f"{head}.{rest[:digits][:6].ljust(6, '0')}{zone}")


def main():
    results = [json.loads(line) for line in sys.stdin if line.strip()]
    if not results:
        sys.exit("per-second.py: no results on stdin")
    start = min(sent_at(r) for r in results)
    codes = collections.defaultdict(collections.Counter)
    latencies = collections.defaultdict(list)
    for r in results:
        second = int((sent_at(r) - start).total_seconds())
        codes[second][r["code"]] += 1
        latencies[second].append(r["latency"] / 1e6)
    print("second\t" + "\t".join(["answers by status", "p50 ms", "max ms"]))
    for second in sorted(codes):
        ms = sorted(latencies[second])
        counts = " ".join(f"{code}:{n}" for code, n in sorted(codes[second].items()))
        print(f"{second}\t{counts}\t{ms[len(ms) // 2]:.0f}\t{ms[-1]:.0f}")


if __name__ == "__main__":
    main()
