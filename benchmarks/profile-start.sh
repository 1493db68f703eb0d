#!/usr/bin/env bash
# Where the CPU of a cold start goes: the image's own JVM, started as start-ab.sh starts it
# (launch_image in lib.sh: its jlinked JRE, AOT cache and flags, knative/image.conf, the
# single-cluster overlay's memory limit as -XX:MaxRAM; HTTPS with an ECDSA P-256 certificate),
# RUNS times under async-profiler until its first answer to POST /mutate that carries a patch, its
# ServiceAccount read over TLS from a stand-in API server (knative/TrainApiServer.java, RSA 2048
# certificate signed by a CA of its own, as a cluster's) through fabric8's own configuration, as in
# a pod after a scale from zero. Each start's CPU time is sampled on every thread (itimer, 1 ms),
# from process start to that answer.
#
#   knative/build-image.sh && benchmarks/profile-start.sh      # RUNS=5, CPUS=0 (one CPU, as shipped)
#
# Prints, and writes to OUT/profile.md: each start's time to the first patched answer and the CPU
# time the process had used by then; each thread's share of the samples; and the frames that hold
# the most samples (inclusive), on all threads and on the threads that answer (main, the event
# loops, the worker threads). OUT/*.collapsed are the raw profiles, one per start, in the collapsed
# format flame-graph tools read.
#
# Environment: RUNS (5), CPUS (the taskset CPU list, default 0), EXTRA_FLAGS (JVM flags added after
# the image's, to compare), TOP (30 frames per list), OUT (benchmarks/target/profile-start),
# PROFILER_VERSION (4.1: tools.profiler:async-profiler from Maven Central, cached). Needs the image
# root of knative/build-image.sh (knative/target/image/root), the JDK on the PATH for the stand-in,
# openssl, curl, python3 and taskset; Linux x86-64.
set -euo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
. "$here/benchmarks/lib.sh"
runs=${RUNS:-5}
cpus=${CPUS:-0}
top=${TOP:-30}
out=${OUT:-$here/benchmarks/target/profile-start}
version=${PROFILER_VERSION:-4.1}

# async-profiler's agent, from its jar on Maven Central (the jar carries the native library).
agent=$bench_cache/async-profiler-$version/libasyncProfiler.so
if [ ! -f "$agent" ]; then
  mkdir -p "$(dirname "$agent")"
  jar=$(dirname "$agent")/async-profiler.jar
  curl -fsSL -o "$jar" \
    "https://repo.maven.apache.org/maven2/tools/profiler/async-profiler/$version/async-profiler-$version.jar"
  unzip -p "$jar" linux-x64/libasyncProfiler.so > "$agent.part" && mv "$agent.part" "$agent"
fi

# Fixed ports, as the other measurement scripts have theirs (18261-18264).
image_bench_setup profile-start 18261

results=()
for run in $(seq 1 "$runs"); do
  log=$work/run-$run.log
  start=$(date +%s%N)
  launch_image "$here" "$cpus" \
    "${EXTRA_FLAGS:-} -agentpath:$agent=start,event=itimer,interval=1ms,threads,file=$out/start-$run.collapsed,collapsed" \
    "$log"
  await_patch "$log"
  end=$(date +%s%N)
  used=$(cpu_ms "$pid")
  kill "$pid"; wait "$pid" 2> /dev/null || true
  pid=
  results+=("$run $(((end - start) / 1000000)) $used $(loadavg)")
  echo "start $run: first patched answer after $(((end - start) / 1000000)) ms, CPU $used ms, load $(loadavg)" >&2
done

printf '%s\n' "${results[@]}" > "$out/starts.tsv"
python3 - "$out" "$top" "$cpus" "${EXTRA_FLAGS:-}" << 'EOF' | tee "$out/profile.md"
import collections, glob, re, sys
out, top, cpus, extra = sys.argv[1], int(sys.argv[2]), sys.argv[3], sys.argv[4]
threads, own, every = collections.Counter(), collections.Counter(), collections.Counter()
# Frames every stack of a thread passes through (thread entry, event loop, executor, Quarkus's
# entry points, method-handle plumbing) say nothing about where the time goes.
plumbing = re.compile(r"^(java/lang/Thread\.|java/lang/invoke/|jdk/internal/reflect/|io/netty/util/|"
                      r"io/netty/channel/nio/NioEventLoop|org/jboss/threads/|io/quarkus/bootstrap/runner/|"
                      r"io/quarkus/runner/GeneratedMain|io/quarkus/runtime/Quarkus\.run|thread_native_entry|"
                      r"Thread::call_run|start_thread|JavaThread::thread_main_inner|\[)")
total = 0
for name in sorted(glob.glob(out + "/start-*.collapsed")):
    for line in open(name):
        stack, n = line.rsplit(" ", 1)
        n = int(n)
        total += n
        frames = stack.split(";")
        thread = re.sub(r"\d+", "N", re.sub(r" tid=\d+", "", frames[0].strip("[]")))
        threads[thread] += n
        # Where the sample was taken: the leaf frame's package (its first three name segments), or
        # the JVM's own code (the compiler, the interpreter, class loading, GC) and the C library.
        leaf = frames[-1]
        own["/".join(leaf.split("/")[:3]) if "/" in leaf else "(the JVM's own code and the C library)"] += n
        for frame in set(frames[1:]):
            if not plumbing.match(frame):
                every[frame] += n
starts = [line.split() for line in open(out + "/starts.tsv")]
print(f"# Where the CPU of a cold start goes\n\nCPUs: `taskset -c {cpus}`; extra flags: `{extra or 'none'}`\n")
print("| start | first patched answer (ms) | CPU used by then (ms) | load average |\n|---:|---:|---:|---:|")
for run, wall, cpu, load in starts:
    print(f"| {run} | {wall} | {cpu} | {load} |")
print(f"\n{total} samples.\n\n| thread | share of the samples |\n|---|---:|")
for thread, n in threads.most_common(12):
    print(f"| {thread} | {100 * n / total:.1f} % |")
print("\n## Where the samples were taken, by package\n\n| share | package |\n|---:|---|")
for package, n in own.most_common(top):
    print(f"| {100 * n / total:.1f} % | `{package}` |")
print("\n## Frames holding the most samples, with their callees\n\n| share | frame |\n|---:|---|")
for frame, n in every.most_common(top):
    print(f"| {100 * n / total:.1f} % | `{frame[:160]}` |")
EOF
