#!/usr/bin/env python3
"""Tables and chart of benchmarks/compare.sh: reads its results.tsv, writes a Markdown report and an
SVG chart. Standard library only (no plotting package is installed where it runs).

    report.py results.tsv OUT/compare.md OUT/compare.svg   (OUT: benchmarks/target/compare)

results.tsv, one record a line, tab-separated:
    info     KEY VALUE
    patch    WEBHOOK OPERATIONS BYTES
    start    WEBHOOK CPUS RUN MS RSS_KIB LOADAVG UNPATCHED_ANSWERS_BEFORE
    after    WEBHOOK RSS_START_KIB RSS_AFTER_KIB REQUESTS ANSWERED_200 REFUSED_429 OTHER OK_PER_S LOADAVG_BEFORE LOADAVG_AFTER
    load     WEBHOOK RATE REQUESTS NOT_200 ACHIEVED_RPS P50_MS P99_MS P999_MS CPU_US LOADAVG   (load.sh's rows)
"""
import statistics
import sys
from xml.sax.saxutils import escape

LABELS = {
    "reference": "reference (AWS, Go)",
    "function": "function, no AOT cache",
    "function-aot": "function, AOT cache",
    "function-deployment": "function, Deployment overlay",
}
COLOURS = {"reference": "#f58518", "function": "#9ecae9", "function-aot": "#4c78a8", "function-deployment": "#54a24b"}
ORDER = list(LABELS)


def label(name):
    return LABELS.get(name, name)


def median(values):
    return statistics.median(values) if values else None


def read(path):
    info, patches, starts, after, load = {}, {}, [], {}, []
    for line in open(path):
        f = line.rstrip("\n").split("\t")
        kind, rest = f[0], f[1:]
        if kind == "info":
            info[rest[0]] = rest[1]
        elif kind == "patch":
            patches[rest[0]] = (int(rest[1]), int(rest[2]))
        elif kind == "start":
            starts.append({"name": rest[0], "cpus": int(rest[1]), "ms": int(rest[3]), "rss": int(rest[4]),
                           "load": rest[5], "unpatched": int(rest[6])})
        elif kind == "after":
            after[rest[0]] = {"rss_start": int(rest[1]), "rss_after": int(rest[2]), "requests": int(rest[3]),
                              "ok": int(rest[4]), "shed": int(rest[5]), "other": int(rest[6]), "rps": rest[7],
                              "load": "%s / %s" % (rest[8], rest[9])}
        elif kind == "load":
            load.append([rest[0]] + rest[1:])
    return info, patches, starts, after, load


def names_in(records, key=lambda r: r["name"]):
    seen = {key(r) for r in records}
    return [n for n in ORDER if n in seen] + sorted(seen - set(ORDER))


def mib(kib):
    return "%d" % round(kib / 1024)


def markdown(info, patches, starts, after, load):
    out = ["# The function beside the reference webhook", ""]
    for key in ("reference", "function", "java", "go", "kube-apiserver", "cpu", "network", "review", "mutation",
                "image-flags", "deployment-flags", "started", "ended"):
        if key in info:
            out.append("- %s: %s" % (key, info[key].replace("|", "\\|")))
    out += ["", "Webhooks: **reference**: amazon-eks-pod-identity-webhook %s, out of cluster, informer on every "
            "ServiceAccount; **function, no AOT cache**: the packaged function (aot-jar) with the Knative image's JVM flags, "
            "heap and environment (image-flags); **function, AOT cache**: the same with the AOT cache trained "
            "as the container build trains it, what the Knative image runs; **function, Deployment overlay**: "
            "the overlay that serves HTTPS itself (deployment-flags: the image's flags, its own memory limit, "
            "the AOT cache when trained)." % info.get("reference", ""), ""]

    if starts:
        runs = max(sum(1 for s in starts if s["name"] == n and s["cpus"] == c)
                   for n in names_in(starts) for c in (1, 2))
        out += ["## Cold start: process start to the first HTTPS answer with a patch", "",
                "| webhook | CPUs | first patch, median of %d (ms) | all runs (ms) | load avg (1 min) at each start "
                "| RSS after the first patch, median (MiB) | answers without a patch before it, all runs |" % runs,
                "|---|---:|---:|---|---|---:|---:|"]
        for cpus in (2, 1):
            for name in names_in(starts):
                rows = [s for s in starts if s["name"] == name and s["cpus"] == cpus]
                if rows:
                    out.append("| %s | %d | %d | %s | %s | %s | %d |" % (
                        label(name), cpus, median([r["ms"] for r in rows]), " ".join(str(r["ms"]) for r in rows),
                        " ".join(r["load"] for r in rows), mib(median([r["rss"] for r in rows])),
                        sum(r["unpatched"] for r in rows)))
        out.append("")

    if after:
        out += ["## Memory after admissions (2 CPUs)", "",
                "Sent at a fixed rate from the first patched answer on. The function answers `429` to what "
                "exceeds its in-flight byte limit; *other* is any other status or no answer within 10 s.", "",
                "| webhook | RSS after the first patch (MiB) | RSS after the admissions (MiB) | admissions sent "
                "| answered 200 | refused 429 | other | 200s per second | load avg (1 min) before / after |",
                "|---|---:|---:|---:|---:|---:|---:|---:|---|"]
        for name in [n for n in ORDER if n in after] + sorted(set(after) - set(ORDER)):
            a = after[name]
            out.append("| %s | %s | %s | %d | %d | %d | %d | %s | %s |" % (
                label(name), mib(a["rss_start"]), mib(a["rss_after"]), a["requests"], a["ok"], a["shed"], a["other"],
                a["rps"], a["load"]))
        out.append("")

    if load:
        out += ["## Load over HTTPS (2 CPUs, vegeta beside the webhook; benchmarks/load.sh)", "",
                "Saturation: as many requests as 16 workers push, HTTP/2 over TLS as an API server calls "
                "webhooks; then fixed rates.", "",
                "| webhook | rate (req/s) | requests | not 200 | achieved req/s | p50 ms | p99 ms | p99.9 ms "
                "| webhook CPU µs per admission | load avg (1 min) |",
                "|---|---|---:|---:|---:|---:|---:|---:|---:|---:|"]
        for name in names_in(load, key=lambda r: r[0]):
            for r in (r for r in load if r[0] == name):
                out.append("| %s | %s |" % (label(name), " | ".join(r[1:])))
        out.append("")

    if patches:
        out += ["## The patch each webhook wrote for the review", "", "| webhook | operations | bytes |",
                "|---|---:|---:|"]
        for name in [n for n in ORDER if n in patches]:
            out.append("| %s | %d | %d |" % (label(name), patches[name][0], patches[name][1]))
        out.append("")
    return "\n".join(out)


def panel(x0, width, height, title, groups, unit):
    """One grouped bar chart: groups is [(group label, [(webhook, value)])]."""
    pad_top, pad_bottom = 40, 60
    values = [v for _, bars in groups for _, v in bars if v is not None]
    top = (max(values) if values else 1) * 1.15 or 1
    svg = ['<text x="%.1f" y="20" font-size="13">%s</text>' % (x0 + 10, escape(title)),
           '<line x1="%.1f" y1="%d" x2="%.1f" y2="%d" stroke="black"/>'
           % (x0 + 10, height - pad_bottom, x0 + width - 10, height - pad_bottom)]
    group_width = (width - 20) / max(1, len(groups))
    for i, (group, bars) in enumerate(groups):
        bar_width = (group_width - 20) / max(1, len(bars))
        for j, (name, value) in enumerate(bars):
            if value is None:
                continue
            h = (height - pad_top - pad_bottom) * value / top
            x = x0 + 10 + i * group_width + 10 + j * bar_width
            svg.append('<rect x="%.1f" y="%.1f" width="%.1f" height="%.1f" fill="%s"><title>%s: %s %s</title></rect>'
                       % (x, height - pad_bottom - h, bar_width - 3, h, COLOURS.get(name, "#999"),
                          escape(label(name)), "%.0f" % value, unit))
            svg.append('<text x="%.1f" y="%.1f" font-size="10">%.0f</text>' % (x, height - pad_bottom - h - 3, value))
        for k, part in enumerate(group.split("\n")):  # two short lines fit under a group of bars
            svg.append('<text x="%.1f" y="%d">%s</text>' % (x0 + 10 + i * group_width + 10,
                                                            height - pad_bottom + 16 + 13 * k, escape(part)))
    return svg


def chart(info, starts, after, load):
    panels = []
    names = names_in(starts)
    if starts:
        groups = []
        for cpus in (2, 1):
            bars = [(n, median([s["ms"] for s in starts if s["name"] == n and s["cpus"] == cpus])) for n in names]
            groups.append(("%d CPU%s" % (cpus, "s" if cpus > 1 else ""), bars))
        panels.append(("first patched answer, median (ms)", groups, "ms"))
        groups = []
        for cpus in (2, 1):
            bars = [(n, (median([s["rss"] for s in starts if s["name"] == n and s["cpus"] == cpus]) or 0) / 1024)
                    for n in names]
            groups.append(("after start\n%d CPU%s" % (cpus, "s" if cpus > 1 else ""), bars))
        if after:
            groups.append(("after %s\nadmissions, 2 CPUs" % "{:,}".format(max(a["requests"] for a in after.values())),
                           [(n, after[n]["rss_after"] / 1024) for n in ORDER if n in after]))
        panels.append(("RSS (MiB)", groups, "MiB"))
    if load:
        bars = [(r[0], float(r[4])) for r in load if r[1] == "saturation"]
        panels.append(("saturation over HTTPS, 2 CPUs (req/s)", [("", bars)], "req/s"))
    width, height = 380, 320
    legend = [n for n in ORDER if any(n == s["name"] for s in starts) or n in after or any(n == r[0] for r in load)]
    total = width * max(1, len(panels))
    svg = ['<svg xmlns="http://www.w3.org/2000/svg" width="%d" height="%d" font-family="sans-serif" font-size="11">'
           % (total, height + 20 + 15 * len(legend)),
           '<rect width="100%" height="100%" fill="white"/>']
    for i, (title, groups, unit) in enumerate(panels):
        svg += panel(i * width, width, height, title, groups, unit)
    for k, name in enumerate(legend):
        y = height + 5 + 15 * k
        svg.append('<rect x="20" y="%d" width="10" height="10" fill="%s"/><text x="35" y="%d">%s</text>'
                   % (y, COLOURS.get(name, "#999"), y + 9, escape(label(name))))
    note = "%s; %s" % (info.get("started", ""), info.get("cpu", ""))
    svg.append('<text x="%d" y="%d" font-size="10" text-anchor="end">%s</text>' % (total - 10, height + 14, escape(note)))
    svg.append("</svg>")
    return "\n".join(svg) + "\n"


def main():
    results, md_path, svg_path = sys.argv[1:4]
    info, patches, starts, after, load = read(results)
    open(md_path, "w").write(markdown(info, patches, starts, after, load) + "\n")
    open(svg_path, "w").write(chart(info, starts, after, load))


if __name__ == "__main__":
    main()
