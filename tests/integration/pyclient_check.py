#!/usr/bin/python3
"""pyclient_check.py — Debian's python3-kubernetes (the official client) against kbpf-apiserver:
CRUD on several kinds and a watch stream that sees ADDED, MODIFIED and DELETED. Prints TAP
lines; the kubeconfig comes from $KUBECONFIG."""
import sys
import threading
import time

from kubernetes import client, config, watch
from kubernetes.client.rest import ApiException

n = 0
failed = 0


def check(desc, fn):
    global n, failed
    n += 1
    try:
        fn()
        print("ok %d - %s" % (n, desc))
    except Exception as e:  # noqa: BLE001 - a failed check of any kind
        failed += 1
        print("not ok %d - %s" % (n, desc))
        for line in repr(e).splitlines()[:20]:
            print("# " + line)
    sys.stdout.flush()


config.load_kube_config()
core = client.CoreV1Api()
apps = client.AppsV1Api()
coord = client.CoordinationV1Api()
disc = client.DiscoveryV1Api()
ns = "default"


def create_configmap():
    cm = client.V1ConfigMap(metadata=client.V1ObjectMeta(name="py-cm", labels={"from": "python"}),
                            data={"a": "1"})
    out = core.create_namespaced_config_map(ns, cm)
    assert out.metadata.uid and out.metadata.resource_version, out.metadata
    assert out.metadata.creation_timestamp is not None


def read_configmap():
    cm = core.read_namespaced_config_map("py-cm", ns)
    assert cm.data == {"a": "1"}, cm.data


def replace_configmap():
    cm = core.read_namespaced_config_map("py-cm", ns)
    cm.data["b"] = "2"
    out = core.replace_namespaced_config_map("py-cm", ns, cm)
    assert out.data == {"a": "1", "b": "2"}
    assert int(out.metadata.resource_version) > int(cm.metadata.resource_version)


def stale_replace_conflicts():
    cm = core.read_namespaced_config_map("py-cm", ns)
    core.patch_namespaced_config_map("py-cm", ns, {"data": {"c": "3"}})
    try:
        core.replace_namespaced_config_map("py-cm", ns, cm)
    except ApiException as e:
        assert e.status == 409, e.status
        return
    raise AssertionError("a stale resourceVersion was accepted")


def patch_configmap():
    out = core.patch_namespaced_config_map("py-cm", ns, {"metadata": {"labels": {"x": "y"}}})
    assert out.metadata.labels == {"from": "python", "x": "y"}, out.metadata.labels


def list_with_selector():
    items = core.list_namespaced_config_map(ns, label_selector="from=python").items
    assert [i.metadata.name for i in items] == ["py-cm"], items


def paging():
    for i in range(5):
        core.create_namespaced_config_map(ns, client.V1ConfigMap(
            metadata=client.V1ObjectMeta(name="page-%d" % i, labels={"page": "yes"})))
    names, cont = [], None
    while True:
        page = core.list_namespaced_config_map(ns, label_selector="page=yes", limit=2,
                                               _continue=cont)
        names += [i.metadata.name for i in page.items]
        cont = page.metadata._continue
        if not cont:
            break
    assert names == ["page-%d" % i for i in range(5)], names


def deployment_crud():
    dep = client.V1Deployment(
        metadata=client.V1ObjectMeta(name="py-dep"),
        spec=client.V1DeploymentSpec(
            replicas=2,
            selector=client.V1LabelSelector(match_labels={"app": "py"}),
            template=client.V1PodTemplateSpec(
                metadata=client.V1ObjectMeta(labels={"app": "py"}),
                spec=client.V1PodSpec(containers=[client.V1Container(name="c", image="busybox")]))))
    out = apps.create_namespaced_deployment(ns, dep)
    assert out.spec.strategy.type == "RollingUpdate", out.spec.strategy
    scale = apps.read_namespaced_deployment_scale("py-dep", ns)
    assert scale.spec.replicas == 2 and scale.status.selector == "app=py", scale
    apps.patch_namespaced_deployment_scale("py-dep", ns, {"spec": {"replicas": 4}})
    assert apps.read_namespaced_deployment("py-dep", ns).spec.replicas == 4
    apps.delete_namespaced_deployment("py-dep", ns)
    try:
        apps.read_namespaced_deployment("py-dep", ns)
    except ApiException as e:
        assert e.status == 404
        return
    raise AssertionError("deleted deployment still readable")


def lease_and_slice():
    lease = client.V1Lease(metadata=client.V1ObjectMeta(name="py-lease"),
                           spec=client.V1LeaseSpec(holder_identity="me", lease_duration_seconds=15))
    coord.create_namespaced_lease(ns, lease)
    assert coord.read_namespaced_lease("py-lease", ns).spec.holder_identity == "me"
    es = client.V1EndpointSlice(
        metadata=client.V1ObjectMeta(name="py-es", labels={"kubernetes.io/service-name": "x"}),
        address_type="IPv4",
        endpoints=[client.V1Endpoint(addresses=["10.244.0.5"])],
        ports=[client.DiscoveryV1EndpointPort(port=80, name="http", protocol="TCP")])
    disc.create_namespaced_endpoint_slice(ns, es)
    got = disc.list_namespaced_endpoint_slice(ns, label_selector="kubernetes.io/service-name=x")
    assert got.items[0].endpoints[0].addresses == ["10.244.0.5"]


def not_found():
    try:
        core.read_namespaced_pod("does-not-exist", ns)
    except ApiException as e:
        assert e.status == 404 and "not found" in e.body, (e.status, e.body)
        return
    raise AssertionError("no 404")


def watch_stream():
    events = []
    rv = core.list_namespaced_config_map(ns).metadata.resource_version
    w = watch.Watch()

    def consume():
        for ev in w.stream(core.list_namespaced_config_map, ns, resource_version=rv,
                           field_selector="metadata.name=py-watch", timeout_seconds=10):
            events.append((ev["type"], ev["object"].metadata.name))
            if ev["type"] == "DELETED":
                w.stop()

    t = threading.Thread(target=consume)
    t.start()
    time.sleep(0.5)
    core.create_namespaced_config_map(ns, client.V1ConfigMap(
        metadata=client.V1ObjectMeta(name="py-watch"), data={"v": "1"}))
    core.patch_namespaced_config_map("py-watch", ns, {"data": {"v": "2"}})
    core.delete_namespaced_config_map("py-watch", ns)
    t.join(15)
    assert events == [("ADDED", "py-watch"), ("MODIFIED", "py-watch"), ("DELETED", "py-watch")], events


def watch_without_rv_lists_first():
    w = watch.Watch()
    seen = []
    for ev in w.stream(core.list_namespaced_config_map, ns, label_selector="from=python",
                       timeout_seconds=2):
        seen.append((ev["type"], ev["object"].metadata.name))
        w.stop()
    assert seen == [("ADDED", "py-cm")], seen


def delete_configmap():
    core.delete_namespaced_config_map("py-cm", ns)
    core.delete_collection_namespaced_config_map(ns, label_selector="page=yes")
    left = core.list_namespaced_config_map(ns, label_selector="page=yes").items
    assert not left, left


check("create a ConfigMap", create_configmap)
check("read it back", read_configmap)
check("replace it (PUT)", replace_configmap)
check("a stale resourceVersion gets 409", stale_replace_conflicts)
check("patch it", patch_configmap)
check("list with a label selector", list_with_selector)
check("list in pages with limit/continue", paging)
check("Deployment CRUD and its scale subresource", deployment_crud)
check("Lease and EndpointSlice", lease_and_slice)
check("a missing object gets 404", not_found)
check("a watch sees ADDED, MODIFIED and DELETED", watch_stream)
check("a watch without resourceVersion starts with the current objects", watch_without_rv_lists_first)
check("delete and delete a collection", delete_configmap)
print("1..%d" % n)
sys.exit(1 if failed else 0)
