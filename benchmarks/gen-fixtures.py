#!/usr/bin/env python3
"""Writes the benchmark fixtures (AdmissionReviews of pod CREATE) to src/main/resources/fixtures/.

    python3 benchmarks/gen-fixtures.py

Deterministic: running it again gives the same files. Every pod runs as ServiceAccount
default/s3-reader, which the benchmarks annotate with a role ARN, so IRSA applies to every
container (none of them carries AWS_* variables or a token mount already).
"""
import json
import os

OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "src/main/resources/fixtures")


def review(uid, name, spec, labels, annotations=None):
    meta = {"name": name, "namespace": "default", "labels": labels}
    if annotations:
        meta["annotations"] = annotations
    return {
        "apiVersion": "admission.k8s.io/v1",
        "kind": "AdmissionReview",
        "request": {
            "uid": uid,
            "kind": {"group": "", "version": "v1", "kind": "Pod"},
            "resource": {"group": "", "version": "v1", "resource": "pods"},
            "requestKind": {"group": "", "version": "v1", "kind": "Pod"},
            "requestResource": {"group": "", "version": "v1", "resource": "pods"},
            "name": name,
            "namespace": "default",
            "operation": "CREATE",
            "userInfo": {"username": "system:serviceaccount:kube-system:replicaset-controller",
                         "uid": "5d1c6a0e-2f5b-4c3e-9d7a-1f0e2d3c4b5a",
                         "groups": ["system:serviceaccounts", "system:serviceaccounts:kube-system",
                                    "system:authenticated"]},
            "object": {"apiVersion": "v1", "kind": "Pod", "metadata": meta, "spec": spec},
            "oldObject": None,
            "dryRun": False,
            "options": {"kind": "CreateOptions", "apiVersion": "meta.k8s.io/v1"},
        },
    }


def container(name, image, envs=0, mounts=(), ports=(), probes=False, resources=True):
    c = {"name": name, "image": image, "imagePullPolicy": "IfNotPresent"}
    if envs:
        c["env"] = [{"name": f"{name.upper().replace('-', '_')}_SETTING_{i}",
                     "value": f"value-{i}-for-{name}-with-some-realistic-length"} for i in range(envs)]
        c["env"].append({"name": "POD_IP", "valueFrom": {"fieldRef": {"apiVersion": "v1",
                                                                      "fieldPath": "status.podIP"}}})
    if ports:
        c["ports"] = [{"name": f"p{p}", "containerPort": p, "protocol": "TCP"} for p in ports]
    if resources:
        c["resources"] = {"requests": {"cpu": "100m", "memory": "128Mi"},
                          "limits": {"cpu": "500m", "memory": "256Mi"}}
    if probes:
        c["readinessProbe"] = {"httpGet": {"path": "/ready", "port": ports[0] if ports else 8080},
                               "periodSeconds": 5, "failureThreshold": 3}
        c["livenessProbe"] = {"httpGet": {"path": "/live", "port": ports[0] if ports else 8080},
                              "initialDelaySeconds": 10, "periodSeconds": 10}
    if mounts:
        c["volumeMounts"] = [{"name": m, "mountPath": f"/mnt/{m}", "readOnly": i % 2 == 0}
                             for i, m in enumerate(mounts)]
    c["terminationMessagePath"] = "/dev/termination-log"
    c["terminationMessagePolicy"] = "File"
    c["securityContext"] = {"allowPrivilegeEscalation": False, "readOnlyRootFilesystem": True,
                            "capabilities": {"drop": ["ALL"]}}
    return c


def volumes(names):
    out = []
    for i, n in enumerate(names):
        if i % 3 == 0:
            out.append({"name": n, "configMap": {"name": f"{n}-config", "defaultMode": 420}})
        elif i % 3 == 1:
            out.append({"name": n, "secret": {"secretName": f"{n}-secret", "defaultMode": 420}})
        else:
            out.append({"name": n, "emptyDir": {"sizeLimit": "1Gi"}})
    return out


def pod_spec(containers, init=None, vols=None):
    spec = {"serviceAccountName": "s3-reader"}
    if init:
        spec["initContainers"] = init
    spec["containers"] = containers
    if vols:
        spec["volumes"] = vols
    spec.update({"restartPolicy": "Always", "terminationGracePeriodSeconds": 30, "dnsPolicy": "ClusterFirst",
                 "securityContext": {"runAsNonRoot": True, "runAsUser": 1000, "fsGroup": 2000},
                 "schedulerName": "default-scheduler", "enableServiceLinks": True,
                 "tolerations": [{"key": "node.kubernetes.io/not-ready", "operator": "Exists",
                                  "effect": "NoExecute", "tolerationSeconds": 300}]})
    return spec


def small():
    spec = {"serviceAccountName": "s3-reader",
            "containers": [{"name": "app", "image": "public.ecr.aws/aws-cli/aws-cli:2.15.0",
                            "command": ["sleep", "3600"],
                            "volumeMounts": [{"name": "scratch", "mountPath": "/scratch"}]}],
            "volumes": [{"name": "scratch", "emptyDir": {}}]}
    return review("0b5a2c1e-0000-4000-8000-000000000101", "reader-7d9f8", spec, {"app": "reader"})


def typical():
    vols = ["config", "tls", "cache"]
    init = [container("migrate", "registry.example/payments-migrate:1.4", envs=1, mounts=["config"]),
            dict(container("log-shipper", "registry.example/shipper:2.0", envs=1, mounts=["cache"], ports=(9090,)),
                 restartPolicy="Always")]
    main = [container("api", "registry.example/payments:1.4", envs=2, mounts=vols, ports=(8080, 8081),
                      probes=True),
            container("worker", "registry.example/payments-worker:1.4", envs=2, mounts=["config", "cache"])]
    labels = {"app.kubernetes.io/name": "payments", "app.kubernetes.io/part-of": "shop",
              "pod-template-hash": "6b8d9c7f5d"}
    return review("0b5a2c1e-0000-4000-8000-000000000102", "payments-6b8d9c7f5d-x2k9q",
                  pod_spec(main, init, volumes(vols)), labels,
                  {"prometheus.io/scrape": "true", "prometheus.io/port": "8081"})


def large():
    vol_names = [f"data-{i}" for i in range(30)]
    main = []
    for i in range(20):
        mounts = [vol_names[(i + k) % len(vol_names)] for k in range(6)]
        main.append(container(f"svc-{i:02d}", f"registry.example/monolith/svc-{i:02d}:3.{i}", envs=18,
                              mounts=mounts, ports=(8000 + i,), probes=True))
    labels = {f"label-{i}": f"value-{i}" for i in range(10)}
    annotations = {f"annotation.example.com/key-{i}": "x" * 40 for i in range(10)}
    return review("0b5a2c1e-0000-4000-8000-000000000103", "monolith-0", pod_spec(main, None, volumes(vol_names)),
                  labels, annotations)


if __name__ == "__main__":
    os.makedirs(OUT, exist_ok=True)
    for name, make in (("small", small), ("typical", typical), ("large", large)):
        path = os.path.join(OUT, name + ".json")
        with open(path, "w") as f:
            json.dump(make(), f, separators=(",", ":"))
            f.write("\n")
        print(f"{path}: {os.path.getsize(path)} bytes")
