"""Helm chart packaging: rendered by Helm's own engine, validated strictly, and compared with the plain output.

"The same objects as the plain output" means, here and in docs/helm.md: the rendered objects equal the plain
objects after this change and no other —
  1. every mapping with the key app.kubernetes.io/instance has the release's name as its value (labels and
     selectors alike);
  2. every mapping with app.kubernetes.io/managed-by: composeconv has managed-by Helm and gains
     helm.sh/chart: <chart>-<version>;
  3. the Namespace object is left out and metadata.namespace is the release's namespace;
  4. with prefixNames: true, every object the chart creates is named <release full name>-<name>, and so is
     every reference to it (volumes, envFrom, serviceName, serviceAccountName, role bindings, autoscaler
     targets, Ingress backends, and the host names and Job names in the dependency waits).
"""

from __future__ import annotations

import copy
import json
import re
from pathlib import Path
from typing import Any

import pytest
import yaml

from composeconv import api
from composeconv.backends import ConvertOptions
from composeconv.packaging import LAYOUTS
from composeconv.packaging.helm import DIAGNOSTIC_CODES, package
from golden import cases
from support import corpus_loadable, corpus_project, load_fixture, need
from test_kubernetes_validate import VERSIONS, cross_errors, reported_external, schema_errors

ROOT = Path(__file__).resolve().parents[1]
DEMO = ROOT / "examples" / "demo"
RELEASE = "rel"

try:
    from helm_python.chart import Chart, lint
except ImportError:  # pragma: no cover - the test extra installs it
    Chart = lint = None


def _engine() -> None:
    need(Chart is not None, "Helm engine (pip install helm-python-sdk==0.2.2)")


def chart_of(project, options: ConvertOptions | None = None):
    """The plain Kubernetes result and the chart, both as `composeconv.convert` makes them."""
    options = options or ConvertOptions(split=True)
    plain = api.convert(project, "kubernetes", options.__class__(**{
        **{f: getattr(options, f) for f in ("split", "format", "namespace", "inline_secrets")},
        "extra": {k: v for k, v in options.extra.items() if k not in LAYOUTS["helm"].option_names()}}))
    return plain, api.convert(project, "kubernetes", options, layout="helm")


def write(files, root: Path) -> Path:
    for f in files:
        p = root / f.path
        p.parent.mkdir(parents=True, exist_ok=True)
        p.write_text(f.content, encoding="utf-8")
    return root


def render(chart_dir: Path, values: dict | None = None, namespace: str | None = None,
           release: str = RELEASE) -> list[dict[str, Any]]:
    """The objects Helm renders from the chart, in file order."""
    _engine()
    with Chart.load(chart_dir) as chart:
        out = chart.render(values=values, name=release, namespace=namespace)
    objects = []
    for name in sorted(out):
        if name.endswith(".txt"):
            continue
        objects.extend(d for d in yaml.safe_load_all(out[name]) if d is not None)
    return objects


def notes(chart_dir: Path, values: dict | None = None) -> str:
    with Chart.load(chart_dir) as chart:
        out = chart.render(values=values, name=RELEASE)
    return next(v for k, v in out.items() if k.endswith("NOTES.txt"))


# -- what "the same objects" means

_REFERENCES = (
    # (path to a name inside a pod spec or object, kind it names)
    (("spec", "template", "spec", "serviceAccountName"), "ServiceAccount"),
    (("spec", "template", "spec", "subdomain"), "Service"),
    (("spec", "serviceName"), "Service"),
)


def helmish(objects: list[dict[str, Any]], chart_label: str, release: str = RELEASE, namespace: str | None = None,
            prefix: str | None = None) -> dict[tuple[str, str], dict[str, Any]]:
    """The plain objects as the chart must render them: see the module docstring."""
    emitted = {(o["kind"], o["metadata"]["name"]) for o in objects}

    def rename(kind: str, name: str) -> str:
        return f"{prefix}-{name}"[:63].rstrip("-") if prefix and (kind, name) in emitted else name

    def fix(node: Any) -> Any:
        if isinstance(node, dict):
            out = {k: fix(v) for k, v in node.items()}
            if "app.kubernetes.io/instance" in out:
                out["app.kubernetes.io/instance"] = release
            if out.get("app.kubernetes.io/managed-by") == "composeconv":
                out["app.kubernetes.io/managed-by"] = "Helm"
                out["helm.sh/chart"] = chart_label
            return out
        if isinstance(node, list):
            return [fix(v) for v in node]
        return node

    out = {}
    for obj in objects:
        if obj["kind"] == "Namespace":
            continue
        o = fix(copy.deepcopy(obj))
        if "namespace" in o["metadata"]:
            o["metadata"]["namespace"] = namespace
        kind = o["kind"]
        o["metadata"]["name"] = rename(kind, o["metadata"]["name"])
        for path, target in _REFERENCES:
            node = o
            for key in path[:-1]:
                node = node.get(key, {}) if isinstance(node, dict) else {}
            if isinstance(node, dict) and path[-1] in node:
                node[path[-1]] = rename(target, node[path[-1]])
        pod = o.get("spec", {}).get("template", {}).get("spec")
        if isinstance(pod, dict):
            for v in pod.get("volumes", []):
                if "persistentVolumeClaim" in v:
                    v["persistentVolumeClaim"]["claimName"] = rename("PersistentVolumeClaim",
                                                                     v["persistentVolumeClaim"]["claimName"])
                if "configMap" in v:
                    v["configMap"]["name"] = rename("ConfigMap", v["configMap"]["name"])
                if "secret" in v:
                    v["secret"]["secretName"] = rename("Secret", v["secret"]["secretName"])
            for c in pod.get("initContainers", []) + pod["containers"]:
                for ref in c.get("envFrom", []):
                    for key, target in (("configMapRef", "ConfigMap"), ("secretRef", "Secret")):
                        if key in ref:
                            ref[key]["name"] = rename(target, ref[key]["name"])
                c["command"] = [re.sub(r"([a-z0-9][-a-z0-9]*)(?=\.\$\(POD_NAMESPACE\))",
                                       lambda m: rename("Service", m.group(1)), a) for a in c.get("command", [])]
                c["command"] = [("job/" + rename("Job", a[4:])) if a.startswith("job/") else a for a in c["command"]]
                if not c["command"]:
                    del c["command"]
        if kind == "RoleBinding":
            o["roleRef"]["name"] = rename(o["roleRef"]["kind"], o["roleRef"]["name"])
            for s in o["subjects"]:
                s["name"] = rename(s["kind"], s["name"])
        if kind == "HorizontalPodAutoscaler":
            ref = o["spec"]["scaleTargetRef"]
            ref["name"] = rename(ref["kind"], ref["name"])
        if kind == "Ingress":
            for rule in o["spec"]["rules"]:
                for p in rule["http"]["paths"]:
                    p["backend"]["service"]["name"] = rename("Service", p["backend"]["service"]["name"])
        out[(kind, o["metadata"]["name"])] = o
    return out


def by_key(objects: list[dict[str, Any]]) -> dict[tuple[str, str], dict[str, Any]]:
    out = {}
    for o in objects:
        key = (o["kind"], o["metadata"]["name"])
        assert key not in out, f"rendered twice: {key}"
        out[key] = o
    return out


def validation_errors(objects: list[dict[str, Any]], result) -> list[str]:
    errs = cross_errors(objects, reported_external(result))
    for version in VERSIONS:
        for o in objects:
            errs.extend(f"{version}: {e}" for e in schema_errors(o, version))
    return errs


def assert_renders_like_plain(project, options: ConvertOptions, tmp_path: Path, namespace: str | None = None):
    result, chart = chart_of(project, options)
    root = write(chart.files, tmp_path / "chart")
    rendered = render(root, namespace=namespace)
    label = f"{yaml.safe_load((root / 'Chart.yaml').read_text())['name']}-0.1.0"
    want = helmish(list(result.objects), label, namespace=namespace)
    got = by_key(rendered)
    assert sorted(got) == sorted(want)
    for key in sorted(want):
        assert got[key] == want[key], f"{key} differs"
    assert validation_errors(rendered, result) == []
    return result, chart, root


# -- the modulo itself must be able to fail

def test_helmish_changes_only_what_the_docstring_says():
    dep = {"apiVersion": "apps/v1", "kind": "Deployment",
           "metadata": {"name": "web", "labels": {"app.kubernetes.io/instance": "p",
                                                  "app.kubernetes.io/managed-by": "composeconv", "x": "y"}},
           "spec": {"selector": {"matchLabels": {"app.kubernetes.io/instance": "p"}},
                    "template": {"metadata": {"labels": {}}, "spec": {"containers": [{"name": "web", "image": "i"}]}}}}
    got = helmish([dep], "c-0.1.0")[("Deployment", "web")]
    assert got["metadata"]["labels"] == {"app.kubernetes.io/instance": RELEASE, "app.kubernetes.io/managed-by": "Helm",
                                         "helm.sh/chart": "c-0.1.0", "x": "y"}
    assert got["spec"]["selector"]["matchLabels"] == {"app.kubernetes.io/instance": RELEASE}
    assert ("Deployment", "rel-web") in helmish([dep], "c-0.1.0", prefix="rel")


# -- default values give the plain output

def test_demo_renders_like_the_plain_output(tmp_path):
    _engine()
    assert_renders_like_plain(load_fixture(DEMO), ConvertOptions(split=True), tmp_path)


@pytest.mark.parametrize("case", cases("kubernetes"), ids=lambda c: c.name)
def test_golden_projects_render_like_the_plain_output(case, tmp_path):
    _engine()
    raw = json.loads((case / "options.json").read_text()) if (case / "options.json").exists() else {}
    environ = raw.pop("environ", None)
    options = ConvertOptions(split=True, **raw)
    namespace = options.namespace and re.sub(r"[^a-z0-9-]", "-", options.namespace.lower())
    result, chart, root = assert_renders_like_plain(load_fixture(case, ("compose.yaml",), environ), options,
                                                    tmp_path, namespace=namespace)
    name = yaml.safe_load((root / "Chart.yaml").read_text())["name"]
    got = by_key(render(root, {"prefixNames": True}, namespace=namespace))
    want = helmish(list(result.objects), f"{name}-0.1.0", namespace=namespace, prefix=f"{RELEASE}-{name}")
    assert sorted(got) == sorted(want)
    for key in sorted(want):
        assert got[key] == want[key], f"{key} differs with prefixed names"
    assert validation_errors(list(got.values()), result) == []


def test_namespace_option_installs_into_the_release_namespace(tmp_path):
    _engine()
    options = ConvertOptions(split=True, namespace="shop")
    result, chart, root = assert_renders_like_plain(load_fixture(DEMO), options, tmp_path, namespace="shop")
    assert any(d.code == "helm-namespace" for d in chart.diagnostics)
    assert all(o["metadata"]["namespace"] == "other" for o in render(root, namespace="other"))


@pytest.mark.slow
def test_corpus_sample_renders_like_the_plain_output(tmp_path):
    """Every 4th loadable corpus case (about 80 ms each), with default values and with prefixed names."""
    _engine()
    sample = corpus_loadable()[::4]
    assert len(sample) >= 10
    failures = {}
    for i, path in enumerate(sample):
        try:
            project = corpus_project(path)
            result, chart, root = assert_renders_like_plain(project, ConvertOptions(split=True), tmp_path / str(i))
            name = yaml.safe_load((root / "Chart.yaml").read_text())["name"]
            got = by_key(render(root, {"prefixNames": True}))
            full = RELEASE if name in RELEASE else f"{RELEASE}-{name}"  # the fullname helper's rule
            want = helmish(list(result.objects), f"{name}-0.1.0", prefix=full)
            assert got == want, "prefixed names differ"
            assert validation_errors(list(got.values()), result) == []
        except Exception as exc:  # noqa: BLE001 - every failure is listed below
            failures[path] = str(exc)[:500]
    assert not failures, "\n".join(f"{p}: {e}" for p, e in failures.items())


# -- changed values change what they should

@pytest.fixture(scope="module")
def demo_chart(tmp_path_factory):
    _engine()
    project = load_fixture(DEMO)
    result, chart = chart_of(project)
    root = write(chart.files, tmp_path_factory.mktemp("demo") / "chart")
    return result, root, by_key(render(root))


def _diff(a: Any, b: Any, path: str = "") -> list[str]:
    """Where two rendered trees differ, as dotted paths."""
    if isinstance(a, dict) and isinstance(b, dict):
        return [d for k in sorted(set(a) | set(b), key=str) for d in _diff(a.get(k), b.get(k), f"{path}.{k}")]
    if isinstance(a, list) and isinstance(b, list) and len(a) == len(b):
        return [d for i, (x, y) in enumerate(zip(a, b)) for d in _diff(x, y, f"{path}[{i}]")]
    return [] if a == b else [path]


def _changed(demo_chart, values: dict) -> tuple[dict, list[str]]:
    result, root, base = demo_chart
    got = by_key(render(root, values))
    assert validation_errors(list(got.values()), result) == []
    diffs = [f"{k[0]}/{k[1]}{d}" for k in sorted(set(got) | set(base)) for d in _diff(base.get(k), got.get(k))]
    return got, diffs


def test_replicas_value(demo_chart):
    got, diffs = _changed(demo_chart, {"services": {"api": {"replicas": 5}}})
    assert diffs == ["Deployment/api.spec.replicas"]
    assert got[("Deployment", "api")]["spec"]["replicas"] == 5


def test_image_tag_value(demo_chart):
    got, diffs = _changed(demo_chart, {"services": {"web": {"image": {"tag": "1.28"}}}})
    assert diffs == ["Deployment/web.spec.template.spec.containers[0].image"]
    assert got[("Deployment", "web")]["spec"]["template"]["spec"]["containers"][0]["image"] == "nginx:1.28"


def test_pull_policy_and_digest_values(demo_chart):
    got, diffs = _changed(demo_chart, {"services": {"web": {"image": {"pullPolicy": "Always",
                                                                       "digest": "sha256:" + "a" * 64}}}})
    c = got[("Deployment", "web")]["spec"]["template"]["spec"]["containers"][0]
    assert c["imagePullPolicy"] == "Always" and c["image"] == "nginx:1.27@sha256:" + "a" * 64
    assert len(diffs) == 2


def test_service_type_value(demo_chart):
    got, diffs = _changed(demo_chart, {"services": {"web": {"service": {"type": "NodePort"}}}})
    assert diffs == ["Service/web.spec.type"]
    got, diffs = _changed(demo_chart, {"services": {"web": {"service": {"type": "headless"}}}})
    spec = got[("Service", "web")]["spec"]
    assert spec["clusterIP"] == "None" and "type" not in spec


def test_service_port_value_moves_the_waits_of_dependents(demo_chart):
    ports = [{"name": "tcp-9000", "port": 9000, "targetPort": 8000, "protocol": "TCP"}]
    got, diffs = _changed(demo_chart, {"services": {"api": {"service": {"ports": ports}}}})
    assert got[("Service", "api")]["spec"]["ports"] == ports
    wait = got[("Deployment", "web")]["spec"]["template"]["spec"]["initContainers"][0]["command"][2]
    assert "api.$(POD_NAMESPACE).svc.cluster.local 9000;" in wait


def test_resource_limit_value(demo_chart):
    got, diffs = _changed(demo_chart, {"services": {"api": {"resources": {"limits": {"memory": "1Gi"}}}}})
    assert diffs == ["Deployment/api.spec.template.spec.containers[0].resources.limits.memory"]
    got, diffs = _changed(demo_chart, {"services": {"web": {"resources": {"requests": {"cpu": "100m"}}}}})
    assert got[("Deployment", "web")]["spec"]["template"]["spec"]["containers"][0]["resources"] == {
        "requests": {"cpu": "100m"}}


def test_env_value(demo_chart):
    got, diffs = _changed(demo_chart, {"services": {"api": {"env": {"LOG_LEVEL": "debug", "NEW": "1"}}}})
    env = got[("Deployment", "api")]["spec"]["template"]["spec"]["containers"][0]["env"]
    assert {"name": "LOG_LEVEL", "value": "debug"} in env and {"name": "NEW", "value": "1"} in env
    assert [e["name"] for e in env] == sorted(e["name"] for e in env)


def test_persistence_values(demo_chart):
    got, diffs = _changed(demo_chart, {"persistence": {"dbdata": {"size": "20Gi", "storageClass": "fast"}}})
    assert sorted(diffs) == ["PersistentVolumeClaim/dbdata.spec.resources.requests.storage",
                             "PersistentVolumeClaim/dbdata.spec.storageClassName"]
    assert got[("PersistentVolumeClaim", "dbdata")]["spec"]["resources"]["requests"]["storage"] == "20Gi"
    got, diffs = _changed(demo_chart, {"persistence": {"dbdata": {"enabled": False}}})
    assert ("PersistentVolumeClaim", "dbdata") not in got
    volume = next(v for v in got[("Deployment", "db")]["spec"]["template"]["spec"]["volumes"]
                  if v["name"] == "vol-dbdata")
    assert volume == {"name": "vol-dbdata", "emptyDir": {}}


def test_disabling_a_probe(demo_chart):
    got, diffs = _changed(demo_chart, {"services": {"api": {"probes": {"liveness": False}}}})
    assert diffs == ["Deployment/api.spec.template.spec.containers[0].livenessProbe"]
    c = got[("Deployment", "api")]["spec"]["template"]["spec"]["containers"][0]
    assert "livenessProbe" not in c and "readinessProbe" in c and "startupProbe" in c


def test_enabling_an_ingress(demo_chart):
    ingress = {"enabled": True, "className": "nginx", "rules": [{"host": "shop.example.com", "path": "/"}],
               "tls": True, "tlsSecretName": "shop-tls"}
    got, diffs = _changed(demo_chart, {"services": {"web": {"ingress": ingress}}})
    assert diffs == ["Ingress/web"]
    assert got[("Ingress", "web")]["spec"] == {
        "ingressClassName": "nginx",
        "tls": [{"hosts": ["shop.example.com"], "secretName": "shop-tls"}],
        "rules": [{"host": "shop.example.com", "http": {"paths": [{
            "path": "/", "pathType": "Prefix", "backend": {"service": {"name": "web", "port": {"number": 8080}}}}]}}]}


def test_prefixed_names(demo_chart):
    result, root, base = demo_chart
    got = by_key(render(root, {"prefixNames": True}))
    want = helmish(list(result.objects), "demo-0.1.0", prefix="rel-demo")
    assert sorted(got) == sorted(want)
    for key in want:
        assert got[key] == want[key], key
    assert ("Deployment", "rel-demo-api") in got and ("Service", "rel-demo-db") in got
    assert validation_errors(list(got.values()), result) == []
    other = by_key(render(root, {"prefixNames": True}, release="demo"))  # the release holds the chart's name
    assert ("Deployment", "demo-api") in other


def test_notes_name_the_services_and_what_must_exist(demo_chart):
    _, root, _ = demo_chart
    text = notes(root)
    assert "kubectl port-forward --namespace default service/web 8080" in text
    assert "Secret db-password" in text and "ConfigMap site" in text


# -- chart files

def test_chart_yaml_and_options(tmp_path):
    project = load_fixture(DEMO)
    options = ConvertOptions(split=True, extra={"chart_version": "2.3.4", "app_version": "v9"})
    result, chart = chart_of(project, options)
    files = {f.path: f.content for f in chart.files}
    meta = yaml.safe_load(files["Chart.yaml"])
    assert meta == {"apiVersion": "v2", "name": "demo", "description": meta["description"], "type": "application",
                    "version": "2.3.4", "appVersion": "v9"}
    # the options are the chart's, not the Kubernetes target's: no warning about them
    assert not [d for d in chart.diagnostics if d.code == "k8s-bad-option"]
    _, bad = chart_of(project, ConvertOptions(split=True, extra={"chart_version": "1.0"}))
    assert yaml.safe_load({f.path: f.content for f in bad.files}["Chart.yaml"])["version"] == "0.1.0"
    assert any(d.code == "helm-bad-option" for d in bad.diagnostics)
    assert {"Chart.yaml", "values.yaml", "templates/_helpers.tpl", "templates/NOTES.txt"} <= set(files)
    assert 'define "demo.fullname"' in files["templates/_helpers.tpl"]
    assert 'define "demo.selectorLabels"' in files["templates/_helpers.tpl"]


def test_chart_name_is_dns_safe(tmp_path):
    _engine()
    case = tmp_path / "proj"
    case.mkdir()
    (case / "compose.yaml").write_text("name: 9_My.App\nservices:\n  web:\n    image: nginx\n")
    result, chart = chart_of(load_fixture(case))
    meta = yaml.safe_load({f.path: f.content for f in chart.files}["Chart.yaml"])
    assert re.match(r"^[a-z][-a-z0-9]*$", meta["name"]), meta["name"]
    assert render(write(chart.files, tmp_path / "chart"))


def test_lint_passes(demo_chart):
    _, root, _ = demo_chart
    report = lint(root, strict=True, kube_version="v1.25.0")
    problems = [m for m in report["messages"] if m["severity"] >= 2] + report["errors"]
    assert problems == []


def test_output_is_deterministic():
    project = load_fixture(DEMO)
    assert chart_of(project)[1].files == chart_of(project)[1].files
    assert LAYOUTS["helm"].load() is package


def test_template_actions_in_the_project_are_kept_literally(tmp_path):
    _engine()
    case = tmp_path / "proj"
    case.mkdir()
    (case / "compose.yaml").write_text(
        "name: tpl\nservices:\n  web:\n    image: nginx\n    command: [\"echo\", \"{{.Names}} {{ end }}\"]\n"
        "    environment:\n      FORMAT: \"{{json .}}\"\n")
    assert_renders_like_plain(load_fixture(case), ConvertOptions(split=True), tmp_path)


def test_secrets_stay_out_of_the_values_unless_inlined(tmp_path):
    _engine()
    case = ROOT / "fixtures" / "golden" / "kubernetes" / "configs-secrets"
    raw = json.loads((case / "options.json").read_text())
    project = load_fixture(case)
    _, chart = chart_of(project, ConvertOptions(split=True, **raw))
    assert not any("k3y" in f.content for f in chart.files)
    options = ConvertOptions(split=True, inline_secrets=True, **raw)
    result, chart, root = assert_renders_like_plain(project, options, tmp_path)
    values = yaml.safe_load({f.path: f.content for f in chart.files}["values.yaml"])
    assert values["secrets"]["api-key"] == {"api.key": "k3y\n"}
    assert any(d.code == "helm-secret-values" for d in chart.diagnostics)
    got = by_key(render(root, {"secrets": {"api-key": {"api.key": "new"}}}))
    assert got[("Secret", "api-key")]["data"] == {"api.key": "bmV3"}


def test_every_code_used_is_documented():
    src = "".join(p.read_text() for p in (ROOT / "composeconv" / "packaging").glob("helm*.py"))
    used = set(re.findall(r'"(helm-[a-z0-9-]+)"', src))
    assert used == set(DIAGNOSTIC_CODES)


@pytest.mark.parametrize(("values", "where"), [
    ({"services": {"web": {"replicas": "two"}}}, "/services/web/replicas"),
    ({"services": {"wbe": {"replicas": 2}}}, "'wbe' not allowed"),
    ({"services": {"web": {"service": {"type": "Nodeport"}}}}, "/services/web/service/type"),
    ({"services": {"api": {"probes": {"liveness": "no"}}}}, "/services/api/probes/liveness"),
    ({"persistence": {"dbdata": {"accessModes": ["ReadWriteSometimes"]}}}, "/persistence/dbdata/accessModes"),
])
def test_values_schema_rejects_typos_and_wrong_types(demo_chart, values, where):
    from helm_python.errors import HelmValuesError

    _, root, _ = demo_chart
    with pytest.raises(HelmValuesError, match=re.escape(where)):
        render(root, values)


def test_demo_chart_golden():
    """The demo's chart, file by file (COMPOSECONV_REGEN=1 rewrites it: review the diff by eye)."""
    import os
    import shutil

    expected_dir = ROOT / "fixtures" / "golden-helm" / "demo" / "expected"
    _, chart = chart_of(load_fixture(DEMO))
    got = {f.path: f.content for f in chart.files}
    if os.environ.get("COMPOSECONV_REGEN") == "1":
        shutil.rmtree(expected_dir, ignore_errors=True)
        write(chart.files, expected_dir)
        return
    want = {str(p.relative_to(expected_dir)): p.read_text() for p in sorted(expected_dir.rglob("*")) if p.is_file()}
    assert sorted(got) == sorted(want)
    for path in sorted(want):
        assert got[path] == want[path], f"{path} differs from the golden file"
