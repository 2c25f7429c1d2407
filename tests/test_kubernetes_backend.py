"""Kubernetes backend: goldens validate, output files, determinism, escaping, hints and depends_on waits."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import yaml

from composeconv.backends import ConvertOptions
from composeconv.backends.kubernetes import DIAGNOSTIC_CODES, convert
from composeconv.backends.kubernetes.container import escape
from composeconv.model import Project, Service
from composeconv.model import types as T
from golden import cases
from support import load_fixture
from test_kubernetes_validate import all_errors

ROOT = Path(__file__).resolve().parents[1]


def _project(**services: Service) -> Project:
    return Project(name="demo", services={n: s for n, s in services.items()})


def _by_kind(result, kind: str, name: str) -> dict:
    return next(o for o in result.objects if o["kind"] == kind and o["metadata"]["name"] == name)


@pytest.mark.parametrize("case", cases("kubernetes"), ids=lambda c: c.name)
def test_golden_outputs_are_valid_manifests(case):
    raw = json.loads((case / "options.json").read_text()) if (case / "options.json").exists() else {}
    environ = raw.pop("environ", None)
    result = convert(load_fixture(case, ("compose.yaml",), environ), ConvertOptions(split=True, **raw))
    assert all_errors(result) == []


def test_every_code_used_is_documented():
    import re

    src = "".join(p.read_text() for p in (ROOT / "composeconv" / "backends" / "kubernetes").glob("*.py"))
    used = set(re.findall(r'"(k8s-[a-z0-9-]+)"', src))
    assert used - set(DIAGNOSTIC_CODES) == set()
    assert set(DIAGNOSTIC_CODES) - used == set(), "codes that are never emitted"


@pytest.mark.parametrize(("text", "want"), [
    ("plain", "plain"),
    ("$HOME", "$HOME"),            # Kubernetes leaves $HOME alone
    ("$(hostname)", "$$(hostname)"),
    ("$$", "$$$"),                 # $$ -> $, then the last $ stays
    ("a $$(b) c", "a $$$$(b) c"),
    ("${X}", "${X}"),
])
def test_escape_keeps_the_value_compose_passes(text, want):
    assert escape(text) == want


def _unescape(text: str) -> str:
    """What Kubernetes makes of a string without variables: $$ becomes $, anything else stays."""
    out, i = [], 0
    while i < len(text):
        if text.startswith("$$", i):
            out.append("$")
            i += 2
        else:
            out.append(text[i])
            i += 1
    return "".join(out)


@pytest.mark.parametrize("text", ["echo $HOME $(hostname) $$", "cost $(5)", "$$$((1+2))", "$", "$("])
def test_escape_round_trips_through_kubernetes_expansion(text):
    assert _unescape(escape(text)) == text


def test_command_entrypoint_and_environment_are_escaped():
    svc = Service(name="app", image="busybox", entrypoint=("/bin/sh", "-c"),
                  command=('echo "$HOME $(hostname)"',), environment={"PRICE": "$(5)", "UNSET": None})
    result = convert(_project(app=svc), ConvertOptions())
    c = _by_kind(result, "Deployment", "app")["spec"]["template"]["spec"]["containers"][0]
    assert c["command"] == ["/bin/sh", "-c"]
    assert c["args"] == ['echo "$HOME $$(hostname)"']
    assert c["env"] == [{"name": "PRICE", "value": "$$(5)"}]
    assert any(d.code == "k8s-env-unset" and d.path == ("services", "app", "environment", "UNSET")
               for d in result.diagnostics)


def test_stream_output_is_one_multi_document_yaml_in_kind_order():
    svc = Service(name="web", image="nginx", ports=(T.Port(target=80, published="8080", protocol="tcp"),),
                  volumes=(T.Mount(type="volume", source="data", target="/data"),))
    project = Project(name="demo", services={"web": svc}, volumes={"data": T.Volume(name="demo_data")})
    result = convert(project, ConvertOptions(namespace="team-a"))
    assert [f.path for f in result.files] == ["kubernetes.yaml"]
    docs = list(yaml.safe_load_all(result.files[0].content))
    assert [d["kind"] for d in docs] == ["Namespace", "PersistentVolumeClaim", "Service", "Deployment"]
    assert all(d["metadata"].get("namespace") == "team-a" for d in docs[1:])
    assert list(docs[3]) == ["apiVersion", "kind", "metadata", "spec"]
    assert docs == list(result.objects)


def test_json_stream_is_a_list_and_split_json_is_one_file_per_object():
    project = _project(web=Service(name="web", image="nginx"))
    stream = convert(project, ConvertOptions(format="json"))
    data = json.loads(stream.files[0].content)
    assert stream.files[0].path == "kubernetes.json"
    assert data["kind"] == "List" and [o["kind"] for o in data["items"]] == ["Service", "Deployment"]
    split = convert(project, ConvertOptions(format="json", split=True))
    assert [f.path for f in split.files] == ["web-service.json", "web-deployment.json"]


def test_output_is_byte_identical_across_runs():
    path = ROOT / "fixtures" / "golden" / "kubernetes" / "depends-on"
    project = load_fixture(path)
    first = convert(project, ConvertOptions())
    for _ in range(3):
        again = convert(project, ConvertOptions())
        assert again.files == first.files and again.diagnostics == first.diagnostics


def test_x_kubernetes_hints():
    web = Service(name="web", image="nginx", ports=(T.Port(target=80, published="80"),),
                  volumes=(T.Mount(type="volume", source="data", target="/data"),),
                  extensions={"x-kubernetes": {
                      "controller": "statefulset",
                      "service": {"type": "NodePort", "nodePort": 30080, "annotations": {"a.example/x": "1"}},
                      "ingress": {"host": "web.example.com", "tls": True, "className": "nginx"},
                      "annotations": {"b.example/y": "2"},
                      "imagePullSecrets": ["cred"], "serviceAccountName": "web-sa",
                      "storage": {"storageClass": "fast"},
                      "hpa": {"minReplicas": 2, "maxReplicas": 4, "memory": 80},
                      "unknown": 1}})
    project = Project(name="demo", services={"web": web},
                      volumes={"data": T.Volume(name="demo_data",
                                                extensions={"x-kubernetes": {"size": "10Gi", "accessMode": "rwx"}})},
                      extensions={"x-kubernetes": {"storage": {"size": "3Gi", "storageClass": "slow"}}})
    result = convert(project, ConvertOptions())
    sts = _by_kind(result, "StatefulSet", "web")
    assert sts["spec"]["serviceName"] == "web"
    pod = sts["spec"]["template"]
    assert pod["metadata"]["annotations"] == {"b.example/y": "2"}
    assert pod["spec"]["imagePullSecrets"] == [{"name": "cred"}]
    assert pod["spec"]["serviceAccountName"] == "web-sa"
    svc = _by_kind(result, "Service", "web")
    assert svc["spec"]["type"] == "NodePort" and svc["spec"]["ports"][0]["nodePort"] == 30080
    assert svc["metadata"]["annotations"] == {"a.example/x": "1"}
    ing = _by_kind(result, "Ingress", "web")
    assert ing["spec"]["ingressClassName"] == "nginx" and ing["spec"]["tls"] == [{"hosts": ["web.example.com"]}]
    pvc = _by_kind(result, "PersistentVolumeClaim", "data")
    # the volume's own hint wins over the service's, which wins over the project's
    assert pvc["spec"] == {"accessModes": ["ReadWriteMany"], "storageClassName": "fast",
                           "resources": {"requests": {"storage": "10Gi"}}}
    hpa = _by_kind(result, "HorizontalPodAutoscaler", "web")
    assert hpa["spec"]["scaleTargetRef"]["kind"] == "StatefulSet"
    assert [d.path for d in result.diagnostics if d.code == "k8s-unknown-hint"] == [
        ("services", "web", "x-kubernetes", "unknown")]
    assert [e for e in all_errors(result) if "ServiceAccount" not in e] == []


def test_bad_hint_values_are_reported_and_ignored():
    web = Service(name="web", image="nginx", extensions={"x-kubernetes": {"controller": "pod", "hpa": {"cpu": 300}}})
    result = convert(_project(web=web), ConvertOptions())
    assert {d.path for d in result.diagnostics if d.code == "k8s-bad-hint"} == {
        ("services", "web", "x-kubernetes", "controller"), ("services", "web", "x-kubernetes", "hpa", "cpu")}
    assert _by_kind(result, "Deployment", "web")


def test_unknown_option_is_reported():
    result = convert(_project(web=Service(name="web", image="nginx")),
                     ConvertOptions(extra={"bind_mount": "x", "controller": "job"}))
    assert [d.code for d in result.diagnostics] == ["k8s-bad-option"]
    assert _by_kind(result, "Job", "web")


def test_required_false_dependency_outside_the_project_is_skipped():
    web = Service(name="web", image="nginx", depends_on={"gone": T.Dependency(required=False)})
    result = convert(_project(web=web), ConvertOptions())
    assert "initContainers" not in _by_kind(result, "Deployment", "web")["spec"]["template"]["spec"]
    assert [d.code for d in result.diagnostics] == ["k8s-depends-missing"]


def test_wait_image_and_cluster_domain_options():
    db = Service(name="db", image="postgres", expose=("5432",))
    web = Service(name="web", image="nginx", depends_on={"db": T.Dependency(condition="service_started")})
    result = convert(_project(db=db, web=web), ConvertOptions(extra={"wait_image": "alpine:3", "cluster_domain": "k8s.internal"}))
    init = _by_kind(result, "Deployment", "web")["spec"]["template"]["spec"]["initContainers"]
    assert init[0]["image"] == "alpine:3"
    assert "nc -z -w 2 db.$(POD_NAMESPACE).svc.k8s.internal 5432" in init[0]["command"][2]


def test_shared_volume_is_read_write_many_and_reported():
    a = Service(name="a", image="busybox", volumes=(T.Mount(type="volume", source="v", target="/v"),))
    b = Service(name="b", image="busybox", volumes=(T.Mount(type="volume", source="v", target="/v"),))
    project = Project(name="demo", services={"a": a, "b": b}, volumes={"v": T.Volume(name="demo_v")})
    result = convert(project, ConvertOptions())
    assert _by_kind(result, "PersistentVolumeClaim", "v")["spec"]["accessModes"] == ["ReadWriteMany"]
    assert [d.code for d in result.diagnostics] == ["k8s-volume-shared"]


def test_secret_is_referenced_with_the_command_to_create_it():
    svc = Service(name="app", image="busybox", secrets=(T.FileReference(source="pw"),))
    project = Project(name="demo", services={"app": svc}, secrets={"pw": T.FileObject(name="demo_pw", file="/s/pw.txt")})
    result = convert(project, ConvertOptions(extra={"file_contents": {"/s/pw.txt": "hunter2"}}))
    assert not [o for o in result.objects if o["kind"] == "Secret"]
    assert "hunter2" not in "".join(f.content for f in result.files)
    d = next(d for d in result.diagnostics if d.code == "k8s-secret-not-inlined")
    assert d.hint.startswith("kubectl create secret generic pw --from-file=pw.txt=/s/pw.txt")
    inlined = convert(project, ConvertOptions(inline_secrets=True, extra={"file_contents": {"/s/pw.txt": "hunter2"}}))
    assert _by_kind(inlined, "Secret", "pw")["data"] == {"pw.txt": "aHVudGVyMg=="}


def test_non_ascii_digits_are_not_numbers():
    """str.isdigit() accepts "²"; int() does not: such a group or retry count is reported, not a crash."""
    result = convert(_project(web=Service(name="web", image="busybox", group_add=("²", "1000"),
                                          restart="on-failure:³")), ConvertOptions())
    pod = _by_kind(result, "Deployment", "web")["spec"]["template"]["spec"]
    assert pod["securityContext"]["supplementalGroups"] == [1000]
    assert any(d.code == "k8s-group-name" and "²" in d.message for d in result.diagnostics)
