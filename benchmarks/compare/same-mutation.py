#!/usr/bin/env python3
"""Whether two webhooks' JSON patches give a review's pod the same AWS credentials, so that a
comparison of their cost compares the same work (benchmarks/compare.sh).

    same-mutation.py REVIEW PATCH_A PATCH_B

Applies each patch (add and replace, the operations both webhooks write) to the review's pod and
compares what IRSA and Pod Identity put there: every container's and init container's AWS_*
variables and mount paths, and the pod's volumes by name. The order of the volumes is left out:
the AWS webhook puts its volume first and rewrites the whole array, the function appends it.
Prints "same" or the differences, one a line; exits 0 either way.
"""
import copy
import json
import sys


def apply(document, patch):
    document = copy.deepcopy(document)
    for op in patch:
        if op["op"] not in ("add", "replace"):
            raise SystemExit("unexpected operation %s" % op["op"])
        keys = [k.replace("~1", "/").replace("~0", "~") for k in op["path"].split("/")[1:]]
        target = document
        for key in keys[:-1]:
            target = target[int(key)] if isinstance(target, list) else target[key]
        last = keys[-1]
        if isinstance(target, list) and last == "-":
            target.append(op["value"])
        elif isinstance(target, list) and op["op"] == "add":
            target.insert(int(last), op["value"])
        elif isinstance(target, list):
            target[int(last)] = op["value"]
        else:
            target[last] = op["value"]
    return document


def credentials(pod):
    spec = pod["spec"]
    found = {"volumes": sorted(json.dumps(v, sort_keys=True) for v in spec.get("volumes", []))}
    for kind in ("initContainers", "containers"):
        for c in spec.get(kind, []):
            found["%s %s" % (kind, c["name"])] = (
                sorted(json.dumps(e, sort_keys=True) for e in c.get("env", []) if e["name"].startswith("AWS_")),
                sorted(m["mountPath"] for m in c.get("volumeMounts", [])))
    return found


def main():
    pod = json.load(open(sys.argv[1]))["request"]["object"]
    a, b = (credentials(apply(pod, json.load(open(p)))) for p in sys.argv[2:4])
    differences = ["%s: %s / %s" % (k, a.get(k), b.get(k)) for k in sorted(set(a) | set(b)) if a.get(k) != b.get(k)]
    print("\n".join(differences) if differences else "same")


if __name__ == "__main__":
    main()
