#!/usr/bin/env python3
"""What benchmarks/fleet.sh sends and reads: the cluster Secrets, the reviews, the request lists, the summary.

  fleet.py objects WORK ACTIVE MEMBERS              each member's objects: the review's ServiceAccount, the readers
  fleet.py secrets WORK ACTIVE REGISTERED MEMBERS URL the Secrets (in 4 files), one review per active cluster,
                                                    the vegeta targets and the curl configs of the first admissions
  fleet.py secret WORK ID SOURCE                    one more Secret, for cluster ID, reaching what cluster SOURCE reaches
  fleet.py first WORK FILE                          p50 / p90 / max of a curl write-out of first admissions
  fleet.py vegeta FILE                              one line of a vegeta JSON report (its error list cut to 20)
  fleet.py per-cluster BEFORE AFTER N               what grew between two class histograms, per cluster
  fleet.py profile FILE                             the top frames of an async-profiler collapsed profile
  fleet.py summary OUT                              OUT/summary.md from the raw results in OUT

WORK holds review.json (the AdmissionReview every cluster is sent), api-<name>/cluster.env of each
API server (e2e/cluster.sh) and tokens/<i>, the token of reader-<i>.

Cluster i (1..REGISTERED) is c<i, five digits>. The first ACTIVE clusters reach member (i - 1) % MEMBERS
as reader-<i>, a ServiceAccount of their own with a token of their own; each other cluster's Secret is a
copy of active cluster ((i - 1) % ACTIVE) + 1's kubeconfig with a caller token of its own.
"""
import base64
import json
import os
import secrets
import statistics
import sys

ROLE_ARN = "arn:aws:iam::111122223333:role/s3-reader"


def cluster_id(i):
    return "c%05d" % i


def env_of(path):
    values = {}
    for line in open(path):
        if "=" in line:
            key, value = line.rstrip("\n").split("=", 1)
            values[key] = value
    return values


def b64(text):
    return base64.b64encode(text.encode()).decode()


def kubeconfig(server, ca_pem, token):
    return (
        "apiVersion: v1\nkind: Config\nclusters:\n- name: member\n  cluster:\n"
        "    server: %s\n    certificate-authority-data: %s\n"
        "users:\n- name: reader\n  user:\n    token: %s\n"
        "contexts:\n- name: member\n  context:\n    cluster: member\n    user: reader\n"
        "current-context: member\n" % (server, b64(ca_pem), token)
    )


def secret_yaml(cid, config, caller_token, region):
    return (
        "---\napiVersion: v1\nkind: Secret\nmetadata:\n  name: %s-kubeconfig\n  namespace: pod-identity\n"
        "  labels:\n    pod-identity.dev/cluster: %s\ntype: Opaque\ndata:\n  value: %s\n  caller-token: %s\n"
        "  aws-default-region: %s\n" % (cid, cid, b64(config), b64(caller_token), b64(region))
    )


def member_of(i, members):
    return (i - 1) % members + 1


def active_kubeconfig(work, i, members):
    m = member_of(i, members)
    env = env_of(os.path.join(work, "api-m%d" % m, "cluster.env"))
    token = open(os.path.join(work, "tokens", "%d" % i)).read().strip()
    return kubeconfig(env["APISERVER_URL"], open(env["CA_FILE"]).read(), token), "eu-west-%d" % m


def objects(work, active, members):
    # In each member: the ServiceAccount the review names, and one reader per active cluster it serves,
    # bound to a ClusterRole with `get` on ServiceAccounts (what knative/overlays/shared/member-cluster grants).
    request = json.load(open(os.path.join(work, "review.json")))["request"]
    namespace = request["namespace"]
    account = request["object"]["spec"]["serviceAccountName"]
    for m in range(1, members + 1):
        readers = [i for i in range(1, active + 1) if member_of(i, members) == m]
        with open(os.path.join(work, "member-%d.yaml" % m), "w") as out:
            out.write("apiVersion: v1\nkind: Namespace\nmetadata:\n  name: pod-identity\n")
            if namespace != "default":
                out.write("---\napiVersion: v1\nkind: Namespace\nmetadata:\n  name: %s\n" % namespace)
            out.write("---\napiVersion: v1\nkind: ServiceAccount\nmetadata:\n  name: %s\n"
                      "  namespace: %s\n  annotations:\n    eks.amazonaws.com/role-arn: %s\n"
                      % (account, namespace, ROLE_ARN))
            out.write("---\napiVersion: rbac.authorization.k8s.io/v1\nkind: ClusterRole\nmetadata:\n"
                      "  name: pod-identity-reader\nrules:\n- apiGroups: [\"\"]\n  resources: [\"serviceaccounts\"]\n"
                      "  verbs: [\"get\"]\n")
            out.write("---\napiVersion: rbac.authorization.k8s.io/v1\nkind: ClusterRoleBinding\nmetadata:\n"
                      "  name: pod-identity-reader\nroleRef:\n  apiGroup: rbac.authorization.k8s.io\n"
                      "  kind: ClusterRole\n  name: pod-identity-reader\nsubjects:\n")
            for i in readers:
                out.write("- kind: ServiceAccount\n  name: reader-%d\n  namespace: pod-identity\n" % i)
            for i in readers:
                out.write("---\napiVersion: v1\nkind: ServiceAccount\nmetadata:\n  name: reader-%d\n"
                          "  namespace: pod-identity\n" % i)
        with open(os.path.join(work, "readers-%d.txt" % m), "w") as out:
            out.write("".join("%d\n" % i for i in readers))


def secrets_and_requests(work, active, registered, members, url):
    review = open(os.path.join(work, "review.json")).read()
    marker = "0b5a2c1e-0000-4000-8000-000000000001"
    if marker not in review:
        sys.exit("the review has no uid %s to make unique" % marker)
    os.makedirs(os.path.join(work, "reviews"), exist_ok=True)
    os.makedirs(os.path.join(work, "answers"), exist_ok=True)
    chunks = 4
    files = [open(os.path.join(work, "secrets-%d.yaml" % k), "w") for k in range(chunks)]
    callers = open(os.path.join(work, "callers.tsv"), "w")
    targets = open(os.path.join(work, "targets.txt"), "w")
    # The first admissions in two parts, a tenth of the active clusters then the rest, so that memory
    # is read between them: what the rest cost is free of what the first admissions warm up once.
    tenth = max(1, active // 10)
    firsts = [open(os.path.join(work, "first-1.curl"), "w"), open(os.path.join(work, "first-2.curl"), "w")]
    configs = {}
    for i in range(1, registered + 1):
        cid = cluster_id(i)
        source = (i - 1) % active + 1
        if source not in configs:
            configs[source] = active_kubeconfig(work, source, members)
        config, region = configs[source]
        token = secrets.token_hex(32)
        files[i % chunks].write(secret_yaml(cid, config, token, region))
        callers.write("%s\t%s\n" % (cid, token))
        if i <= active:
            body = os.path.join(work, "reviews", cid + ".json")
            with open(body, "w") as out:
                out.write(review.replace(marker, "0b5a2c1e-0000-4000-8000-%012d" % i))
            path = "%s/clusters/%s/mutate" % (url, cid)
            targets.write("POST %s\nAuthorization: Bearer %s\nContent-Type: application/json\n@%s\n\n"
                          % (path, token, body))
            # Every option again after `next`: each URL of a curl config has options of its own.
            first = firsts[0] if i <= tenth else firsts[1]
            first.write(('' if i in (1, tenth + 1) else 'next\n') + 'url = "%s"\nheader = "Authorization: Bearer %s"\nheader = "Content-Type: application/json"\n'
                        'data-binary = "@%s"\noutput = "%s"\ncacert = "%s"\nmax-time = 15\nsilent\n'
                        'write-out = "%s %%{http_code} %%{time_total}\\n"\n'
                        % (path, token, body, os.path.join(work, "answers", cid + ".json"),
                           os.path.join(work, "serving.crt"), cid))
    for f in files + [callers, targets] + firsts:
        f.close()


def one_secret(work, cid, source):
    active = int(open(os.path.join(work, "active")).read())
    members = int(open(os.path.join(work, "members")).read())
    config, region = active_kubeconfig(work, source, members)
    token = secrets.token_hex(32)
    with open(os.path.join(work, "callers.tsv"), "a") as callers:
        callers.write("%s\t%s\n" % (cid, token))
    sys.stdout.write(secret_yaml(cid, config, token, region))


def percentile(values, p):
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(p * len(ordered)))]


def first(work, path):
    """Prints: count, answered 200 with a patch, p50, p90, max ms, the instance's first ms, max of the others."""
    rows = [line.split() for line in open(path) if line.strip()]
    times = [float(r[2]) * 1000 for r in rows]
    patched = 0
    for r in rows:
        answer = os.path.join(work, "answers", r[0] + ".json")
        if r[1] == "200" and os.path.exists(answer) and '"patch"' in open(answer).read():
            patched += 1
    others = times[1:] or times
    print("%d %d %.1f %.1f %.1f %.1f %.1f" % (len(rows), patched, percentile(times, 0.5), percentile(times, 0.9),
                                            max(times), times[0], max(others)))


def vegeta(path):
    """Prints: requests, req/s, 200s, 429s, others, p50 ms, p99 ms, max ms."""
    report = json.load(open(path))
    codes = report.get("status_codes") or {}
    ok = codes.get("200", 0)
    refused = codes.get("429", 0)
    lat = report["latencies"]
    print("%d %.0f %d %d %d %.2f %.2f %.1f" % (report["requests"], report["throughput"], ok, refused,
                                               report["requests"] - ok - refused, lat["50th"] / 1e6,
                                               lat["99th"] / 1e6, lat["max"] / 1e6))


def summary(out):
    env = env_of(os.path.join(out, "run.env"))
    memory = {}
    for line in open(os.path.join(out, "memory.tsv")):
        label, rss, anon, heap, load = line.rstrip("\n").split("\t")
        memory[label] = (int(rss), int(anon), int(heap), load)
    active, registered = int(env["ACTIVE"]), int(env["REGISTERED"])

    def mib(kib):
        return "%.1f" % (kib / 1024)

    def per(before, after, clusters):
        """Bytes of RSS and of heap per cluster between two moments."""
        return ((memory[after][0] - memory[before][0]) * 1024 / clusters,
                (memory[after][2] - memory[before][2]) * 1024 / clusters)

    lines = ["# Fleet: %d clusters registered, %d active, %s member API servers" % (registered, active, env["MEMBERS"]),
             "",
             "Build %s, %s, `%s`; %s CPUs, load average %s at the start; %s; %s s in all, %s s to create the Secrets."
             % (env["COMMIT"], env["JDK"], env["JVM"], env["CPUS"], env["LOAD_AT_START"], env["DATE"],
                env.get("RUN_SECONDS", "?"), env.get("SECRETS_SECONDS", "?")),
             "",
             "## Memory, after `jcmd GC.run`", "",
             "| instance: moment | RSS MiB | anonymous MiB | heap used MiB | load avg |", "|---|---:|---:|---:|---:|"]
    for label, (rss, anon, heap, load) in memory.items():
        lines.append("| %s | %s | %s | %s | %s |" % (label, mib(rss), mib(anon), mib(heap), load))
    lines += ["", "| per cluster | RSS bytes | heap bytes |", "|---|---:|---:|"]
    tenth = max(1, active // 10)
    for before, after, clusters, what in (
            ("main: started", "main: registered", registered, "idle registered: its Secret exists, no admission yet"),
            ("main: registered", "main: active", active, "active, main instance: all of them"),
            ("main: a tenth active", "main: active", active - tenth,
             "active, main instance: the last nine tenths (without what the first admissions warm up once)"),
            ("evict: started", "evict: active", active, "active, eviction instance: all of them"),
            ("evict: a tenth active", "evict: active", active - tenth, "active, eviction instance: the last nine tenths"),
            ("evict: started", "evict: evicted", active, "evicted: what an active cluster leaves once idle")):
        if before in memory and after in memory:
            rss, heap = per(before, after, clusters)
            lines.append("| %s | %.0f | %.0f |" % (what, rss, heap))
    peaks = [line.split() for line in open(os.path.join(out, "rss-peaks.tsv"))]
    lines += ["", "Peak RSS (VmHWM) of each instance: "
              + ", ".join("%s %s MiB" % (name, mib(int(kib))) for name, kib in peaks) + ".", ""]
    lines += ["## First admission of each active cluster on a fresh instance", "",
              "One after another, over one HTTPS connection (curl); the time of each request, from sent to answered.", "",
              "| instance | clusters | answered 200 with a patch | p50 ms | p90 ms | max ms "
              "| the instance's first ms | max of the others ms |",
              "|---|---:|---:|---:|---:|---:|---:|---:|"]
    for name in ("main", "evict"):
        path = os.path.join(out, "first-%s.txt" % name)
        if os.path.exists(path):
            lines.append("| %s | %s |" % (name, " | ".join(open(path).read().split())))
    lines += ["", "## Admissions across the active clusters over HTTPS", "",
              "vegeta, HTTP/2, one target per cluster (its path, caller token and review), in turn.", "",
              "| phase | requests | req/s | 200 | 429 | other | p50 ms | p99 ms | max ms | load avg |",
              "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|"]
    for line in open(os.path.join(out, "load.tsv")):
        name, rest = line.rstrip("\n").split("\t", 1)
        lines.append("| %s | %s |" % (name, " | ".join(rest.split())))
    lines += ["", "## From a Secret's creation to its cluster served", "",
              "| cluster | asked before its Secret existed | Secret created after that ask, s "
              "| first patched answer after creation, ms | answers before it |",
              "|---|---|---:|---:|---:|"]
    for line in open(os.path.join(out, "served.tsv")):
        lines.append("| %s |" % " | ".join(line.split()))
    lines += timeline(out)
    lines += api_requests(out)
    died = os.path.join(out, "died.txt")
    if os.path.exists(died):
        lines += ["", "## The function died", "", open(died).read().strip()]
    evicted = os.path.join(out, "evicted.txt")
    if os.path.exists(evicted):
        lines += ["", "## Eviction", "", open(evicted).read().strip()]
    open(os.path.join(out, "summary.md"), "w").write("\n".join(lines) + "\n")
    print("\n".join(lines))


def timeline(out):
    """Per phase, from OUT/timeline.tsv: seconds, CPU seconds of each process group, connections, RSS."""
    path = os.path.join(out, "timeline.tsv")
    if not os.path.exists(path):
        return []
    phases = {}
    previous = None
    for line in open(path):
        f = line.rstrip("\n").split("\t")
        if len(f) < 10 or not all(f[i] for i in (2, 3, 4, 5, 6)):
            continue
        t, phase, rss, fn, hosting, members, etcd, c_hosting, c_members, c_callers = f[:10]
        row = [int(t), int(rss), int(fn), int(hosting), int(members), int(etcd), int(c_hosting), int(c_members),
               int(c_callers)]
        p = phases.setdefault(phase, {"first": row, "last": row, "max": list(row), "start": previous})
        p["last"] = row
        p["max"] = [max(a, b) for a, b in zip(p["max"], row)]
        previous = row
    lines = ["", "## Where the CPU went, by phase", "",
             "Sampled each second: CPU seconds used in the phase by the function, the hosting API server, the "
             "member API servers and the etcds, and the most connections open at once from the function to the "
             "hosting and the member API servers, and from callers to the function.", "",
             "| phase | s | function CPU s | hosting API server CPU s | members' CPU s | etcds' CPU s "
             "| conns to hosting | conns to members | callers' conns | max RSS MiB |",
             "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|"]
    for name, p in phases.items():
        start = p["start"] or p["first"]
        if p["start"] is not None and p["start"][2] > p["last"][2]:
            start = p["first"]  # a new instance: its CPU counts from its own start
        cpu = ["%.1f" % ((p["last"][i] - start[i]) / 1000) for i in (2, 3, 4, 5)]
        lines.append("| %s | %d | %s | %d | %d | %d | %.0f |" % (
            name, p["last"][0] - start[0], " | ".join(cpu), p["max"][6], p["max"][7], p["max"][8], p["max"][1] / 1024))
    return lines


def api_requests(out):
    """What the API servers were asked during the load phases: LISTs of Secrets, GETs of ServiceAccounts."""
    path = os.path.join(out, "api-requests.tsv")
    if not os.path.exists(path):
        return []
    totals = {}
    for line in open(path):
        label, server, what, verb, resource, code, value = line.rstrip("\n").split("\t")
        key = (server if server == "hosting" else "members", verb, resource, what)
        totals.setdefault(label, {}).setdefault(key, 0.0)
        totals[label][key] += float(value)
    before, after = totals.get("main: before load", {}), totals.get("main: after load", {})
    lines = ["", "## What the API servers were asked during the load phases", "",
             "| API servers | request | requests | mean seconds each |", "|---|---|---:|---:|"]
    for key in sorted(k for k in after if k[3] == "requests"):
        n = after[key] - before.get(key, 0)
        secs = after.get(key[:3] + ("seconds",), 0) - before.get(key[:3] + ("seconds",), 0)
        if n > 0:
            lines.append("| %s | %s %s | %.0f | %.4f |" % (key[0], key[1], key[2], n, secs / n))
    return lines


def profile(path):
    """The top frames of an async-profiler collapsed profile: by own samples, and the function's own
    and its libraries' frames by samples under them."""
    own, under, total = {}, {}, 0
    for line in open(path):
        stack, _, count = line.rstrip("\n").rpartition(" ")
        if not stack:
            continue
        n = int(count)
        total += n
        frames = stack.split(";")
        own[frames[-1]] = own.get(frames[-1], 0) + n
        for frame in set(frames):
            under[frame] = under.get(frame, 0) + n
    print("%d samples (1 ms of CPU each)" % total)
    print("\nown samples:")
    for frame, n in sorted(own.items(), key=lambda kv: -kv[1])[:25]:
        print("%6.1f%%  %s" % (100.0 * n / total, frame))
    print("\nsamples under (the function's and its libraries' frames):")
    prefixes = ("dev/podidentity", "dev.podidentity", "io/smallrye", "io.smallrye", "io/fabric8", "io.fabric8",
                "io/micrometer", "io.micrometer", "sun/security", "sun.security", "com/fasterxml", "com.fasterxml",
                "javax/net/ssl", "java/security/KeyStore")
    picked = [(f, n) for f, n in under.items() if f.startswith(prefixes)]
    for frame, n in sorted(picked, key=lambda kv: -kv[1])[:40]:
        print("%6.1f%%  %s" % (100.0 * n / total, frame))


def histogram(path):
    classes = {}
    for line in open(path):
        f = line.split()
        if len(f) >= 4 and f[0].endswith(":") and f[0][:-1].isdigit():
            classes[f[3]] = (int(f[1]), int(f[2]))
    return classes


def per_cluster(before, after, clusters, top=30):
    """The classes whose instances grew most between two class histograms, per cluster."""
    a, b = histogram(before), histogram(after)
    rows = []
    for name in set(a) | set(b):
        grown = b.get(name, (0, 0))[1] - a.get(name, (0, 0))[1]
        instances = b.get(name, (0, 0))[0] - a.get(name, (0, 0))[0]
        if name != "[Ljdk.internal.vm.FillerElement;":  # the unused ends of allocation buffers, not objects
            rows.append((grown / clusters, instances / clusters, name))
    rows.sort(reverse=True)
    print("%.0f bytes a cluster in all, %d clusters; the %d classes that grew most:" % (
        sum(r[0] for r in rows), clusters, top))
    print("| bytes a cluster | instances a cluster | class |\n|---:|---:|---|")
    for grown, instances, name in rows[:top]:
        print("| %.0f | %.1f | `%s` |" % (grown, instances, name))


def trim_errors(path, keep=20):
    """A vegeta JSON report with its list of distinct errors cut to KEEP (an overload makes thousands)."""
    report = json.load(open(path))
    errors = report.get("errors") or []
    if len(errors) > keep:
        report["errors"] = errors[:keep] + ["... and %d more distinct errors" % (len(errors) - keep)]
        json.dump(report, open(path, "w"), indent=1)


def main():
    command, args = sys.argv[1], sys.argv[2:]
    if command == "objects":
        objects(args[0], int(args[1]), int(args[2]))
    elif command == "secrets":
        work, active, registered, members, url = args[0], int(args[1]), int(args[2]), int(args[3]), args[4]
        secrets_and_requests(work, active, registered, members, url)
    elif command == "secret":
        one_secret(args[0], args[1], int(args[2]))
    elif command == "first":
        first(args[0], args[1])
    elif command == "vegeta":
        trim_errors(args[0])
        vegeta(args[0])
    elif command == "per-cluster":
        per_cluster(args[0], args[1], int(args[2]))
    elif command == "profile":
        profile(args[0])
    elif command == "summary":
        summary(args[0])
    else:
        sys.exit(__doc__)


if __name__ == "__main__":
    main()
