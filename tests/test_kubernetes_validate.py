"""Strict schema validation (kubernetes-validate) and cross-object checks of Kubernetes output, and the
corpus-wide run: every loadable corpus case converts and validates for Kubernetes 1.25 and 1.37."""

from __future__ import annotations

import json
import re
from functools import lru_cache
from typing import Any, Iterable

import pytest

from support import corpus_loadable, corpus_project

VERSIONS = ("1.25.0", "1.37.0")
_DNS1123_LABEL = re.compile(r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?$")
_DNS1035_LABEL = re.compile(r"^[a-z]([-a-z0-9]*[a-z0-9])?$")
_DNS1123_SUBDOMAIN = re.compile(r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$")
_LABEL_VALUE = re.compile(r"^(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?$")
_DATA_KEY = re.compile(r"^[-._a-zA-Z0-9]+$")
POD_KINDS = ("Deployment", "StatefulSet", "DaemonSet", "Job")

# Corpus cases known not to give strictly valid output, with the reason; the rate test allows these.
KNOWN_CORPUS_FAILURES: dict[str, str] = {}


@lru_cache(maxsize=None)
def _definitions(schema_dir: str) -> dict[str, Any]:
    from importlib.resources import files

    base = files("kubernetes_validate").joinpath("kubernetes-json-schema", schema_dir)
    return json.loads(base.joinpath("_definitions.json").read_text())["$defs"]


def _deref(node: Any, defs: dict[str, Any], memo: dict[str, Any], stack: tuple[str, ...] = ()) -> Any:
    """The schema with every $ref replaced by what it names (the Kubernetes schemas have no cycles)."""
    if isinstance(node, list):
        return [_deref(v, defs, memo, stack) for v in node]
    if not isinstance(node, dict):
        return node
    if "$ref" in node:
        name = node["$ref"].rsplit("/", 1)[-1]
        if name in stack:
            raise ValueError(f"recursive schema {name}")
        if name not in memo:
            memo[name] = _deref(defs[name], defs, memo, stack + (name,))
        rest = {k: _deref(v, defs, memo, stack) for k, v in node.items() if k != "$ref"}
        return {"allOf": [memo[name], rest]} if rest else memo[name]
    return {k: _deref(v, defs, memo, stack) for k, v in node.items()}


_MEMO: dict[str, dict[str, Any]] = {}


@lru_cache(maxsize=None)
def _validator(version: str, kind: str, api_version: str):
    """A validator for one kind with its references resolved once: kubernetes_validate.validate reads
    its schema files and resolves references on every call, which makes a corpus run take minutes.
    This applies the same strict schema files of the package (its version picking is reused)."""
    from importlib.resources import files

    import jsonschema
    from kubernetes_validate import utils

    resolved = [v for v in utils.all_versions() if utils.major_minor(v) <= utils.major_minor(version)][-1]
    schema_dir = f"v{resolved}-local-strict"
    base = files("kubernetes_validate").joinpath("kubernetes-json-schema", schema_dir)
    group = re.sub(r"^([^./]*)(?:\.[^/]*)?/", r"\1-", api_version)
    schema = json.loads(base.joinpath(f"{kind.lower()}-{group}.json").read_text())
    full = _deref(schema, _definitions(schema_dir), _MEMO.setdefault(schema_dir, {}))
    return jsonschema.Draft202012Validator(full)


def schema_errors(obj: dict[str, Any], version: str) -> list[str]:
    """Strict-schema errors of one object for one Kubernetes version (empty when valid)."""
    v = _validator(version, obj["kind"], obj["apiVersion"])
    return [f"{obj['kind']}/{obj['metadata'].get('name')}: {'.'.join(map(str, e.absolute_path))}: {e.message}"
            for e in v.iter_errors(obj)]


def _pod(obj: dict[str, Any]) -> dict[str, Any]:
    return obj["spec"]["template"]["spec"]


def _containers(pod: dict[str, Any]) -> Iterable[dict[str, Any]]:
    yield from pod.get("initContainers", [])
    yield from pod["containers"]


def cross_errors(objects: list[dict[str, Any]], external: Iterable[tuple[str, str]] = ()) -> list[str]:
    """What a schema cannot see: names, selectors, ports and references between objects.

    external: (kind, name) of objects the conversion reported as to be created by the user."""
    errs: list[str] = []
    have = {(o["kind"], o["metadata"]["name"]) for o in objects} | set(external)
    seen: set[tuple[str, str]] = set()
    pods_by_labels: list[tuple[dict[str, str], dict[str, Any]]] = []
    for o in objects:
        kind, name = o["kind"], o["metadata"]["name"]
        if (kind, name) in seen:
            errs.append(f"duplicate {kind}/{name}")
        seen.add((kind, name))
        rule = _DNS1035_LABEL if kind == "Service" else _DNS1123_SUBDOMAIN
        if not rule.match(name) or len(name) > (63 if kind in ("Service", "Namespace") + POD_KINDS else 253):
            errs.append(f"invalid name {kind}/{name}")
        for k, v in o["metadata"].get("labels", {}).items():
            if not _LABEL_VALUE.match(v) or len(v) > 63:
                errs.append(f"{kind}/{name}: label {k} has an invalid value {v!r}")
        if kind in ("ConfigMap", "Secret"):
            for k in o.get("data", {}):
                if not _DATA_KEY.match(k):
                    errs.append(f"{kind}/{name}: invalid data key {k!r}")
        if kind in POD_KINDS:
            pod = _pod(o)
            tmpl_labels = o["spec"]["template"]["metadata"]["labels"]
            sel = o["spec"].get("selector", {}).get("matchLabels")
            if kind != "Job" and (not sel or any(tmpl_labels.get(k) != v for k, v in sel.items())):
                errs.append(f"{kind}/{name}: selector does not match the pod template labels")
            pods_by_labels.append((tmpl_labels, pod))
            names = [c["name"] for c in _containers(pod)]
            if len(set(names)) != len(names):
                errs.append(f"{kind}/{name}: duplicate container names {names}")
            volumes = {v["name"]: v for v in pod.get("volumes", [])}
            for c in _containers(pod):
                if not _DNS1123_LABEL.match(c["name"]):
                    errs.append(f"{kind}/{name}: invalid container name {c['name']}")
                paths = [m["mountPath"] for m in c.get("volumeMounts", [])]
                if len(set(paths)) != len(paths):
                    errs.append(f"{kind}/{name}: duplicate mountPath in {c['name']}")
                for m in c.get("volumeMounts", []):
                    if m["name"] not in volumes:
                        errs.append(f"{kind}/{name}: mount of undefined volume {m['name']}")
                for ref in c.get("envFrom", []):
                    if "configMapRef" in ref and ("ConfigMap", ref["configMapRef"]["name"]) not in have:
                        errs.append(f"{kind}/{name}: envFrom unknown ConfigMap {ref['configMapRef']['name']}")
                ports = {(p["containerPort"], p.get("protocol", "TCP")) for p in c.get("ports", [])}
                if len(ports) != len(c.get("ports", [])):
                    errs.append(f"{kind}/{name}: duplicate containerPort in {c['name']}")
            for v in volumes.values():
                if "persistentVolumeClaim" in v:
                    ref = ("PersistentVolumeClaim", v["persistentVolumeClaim"]["claimName"])
                elif "configMap" in v:
                    ref = ("ConfigMap", v["configMap"]["name"])
                elif "secret" in v:
                    ref = ("Secret", v["secret"]["secretName"])
                else:
                    continue
                if ref not in have:
                    errs.append(f"{kind}/{name}: refers to {ref[0]}/{ref[1]}, which is neither emitted nor reported")
            if "serviceAccountName" in pod and ("ServiceAccount", pod["serviceAccountName"]) not in have:
                errs.append(f"{kind}/{name}: unknown ServiceAccount {pod['serviceAccountName']}")
    for o in objects:
        if o["kind"] != "Service":
            continue
        sel = o["spec"].get("selector", {})
        matching = [pod for labels, pod in pods_by_labels if all(labels.get(k) == v for k, v in sel.items())]
        if not matching:
            errs.append(f"Service/{o['metadata']['name']}: selects no pod template")
            continue
        targets = {(p["containerPort"], p.get("protocol", "TCP")) for pod in matching for c in pod["containers"]
                   for p in c.get("ports", [])}
        names = [p.get("name") for p in o["spec"].get("ports", [])]
        if len(o["spec"].get("ports", [])) > 1 and (None in names or len(set(names)) != len(names)):
            errs.append(f"Service/{o['metadata']['name']}: ports need unique names")
        for p in o["spec"].get("ports", []):
            if (p["targetPort"], p.get("protocol", "TCP")) not in targets:
                errs.append(f"Service/{o['metadata']['name']}: targetPort {p['targetPort']} is on no container")
    for o in objects:
        if o["kind"] == "Ingress":
            for rule in o["spec"]["rules"]:
                for path in rule["http"]["paths"]:
                    svc = path["backend"]["service"]["name"]
                    if ("Service", svc) not in have:
                        errs.append(f"Ingress/{o['metadata']['name']}: unknown Service {svc}")
        if o["kind"] == "HorizontalPodAutoscaler":
            ref = o["spec"]["scaleTargetRef"]
            if (ref["kind"], ref["name"]) not in have:
                errs.append(f"HPA/{o['metadata']['name']}: unknown target {ref['kind']}/{ref['name']}")
    return errs


def reported_external(result) -> set[tuple[str, str]]:
    """(kind, name) of the objects the diagnostics say the user must create."""
    out: set[tuple[str, str]] = set()
    for d in result.diagnostics:
        if d.code in ("k8s-external-volume",):
            out.update(("PersistentVolumeClaim", m) for m in re.findall(r"claim (\S+) must exist", d.message))
        if d.code in ("k8s-external-file", "k8s-file-contents", "k8s-secret-not-inlined", "k8s-file-from-environment",
                      "k8s-bind-configmap-missing"):
            for kind, name in re.findall(r"(ConfigMap|Secret) ([a-z0-9][-a-z0-9.]*[a-z0-9]|[a-z0-9])", d.message):
                out.add((kind, name))
            if d.hint:
                for kind, name in re.findall(r"kubectl create (configmap|secret generic) (\S+)", d.hint):
                    out.add(("ConfigMap" if kind == "configmap" else "Secret", name))
    return out


def all_errors(result, versions: Iterable[str] = VERSIONS) -> list[str]:
    objects = [o for o in result.objects]
    errs = cross_errors(objects, reported_external(result))
    for version in versions:
        for o in objects:
            errs.extend(f"{version}: {e}" for e in schema_errors(o, version))
    return errs


# -- the checker itself must be able to fail

def _deployment(**over: Any) -> dict[str, Any]:
    obj = {"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": "web"},
           "spec": {"selector": {"matchLabels": {"a": "b"}},
                    "template": {"metadata": {"labels": {"a": "b"}},
                                 "spec": {"containers": [{"name": "web", "image": "busybox"}]}}}}
    obj["spec"].update(over)
    return obj


@pytest.mark.parametrize("version", VERSIONS)
def test_validator_accepts_a_valid_deployment(version):
    assert schema_errors(_deployment(), version) == []


@pytest.mark.parametrize("version", VERSIONS)
def test_validator_rejects_unknown_and_mistyped_fields(version):
    assert schema_errors(_deployment(replicas="two"), version)
    assert schema_errors(_deployment(replicaz=2), version)
    dep = _deployment()
    dep["spec"]["template"]["spec"]["containers"][0]["imagePullPolicy"] = 3
    dep["spec"]["template"]["spec"]["containers"][0]["bogus"] = True
    assert len(schema_errors(dep, version)) >= 2


@pytest.mark.parametrize("version", VERSIONS)
def test_fast_validator_agrees_with_kubernetes_validate(version):
    import kubernetes_validate

    good = _deployment()
    bad = _deployment(replicaz=2)
    kubernetes_validate.validate(good, version, strict=True)
    with pytest.raises(kubernetes_validate.ValidationError):
        kubernetes_validate.validate(bad, version, strict=True)
    assert not schema_errors(good, version) and schema_errors(bad, version)


def test_cross_checks_catch_a_selector_mismatch_and_a_missing_port():
    dep = _deployment(selector={"matchLabels": {"a": "c"}})
    svc = {"apiVersion": "v1", "kind": "Service", "metadata": {"name": "web"},
           "spec": {"selector": {"a": "b"}, "ports": [{"port": 80, "targetPort": 8080}]}}
    errs = cross_errors([dep, svc])
    assert any("selector does not match" in e for e in errs)
    assert any("targetPort 8080" in e for e in errs)


def test_cross_checks_catch_a_missing_claim():
    dep = _deployment()
    dep["spec"]["template"]["spec"]["volumes"] = [{"name": "d", "persistentVolumeClaim": {"claimName": "data"}}]
    assert any("PersistentVolumeClaim/data" in e for e in cross_errors([dep]))
    assert not cross_errors([dep], external={("PersistentVolumeClaim", "data")})


# -- the corpus

@pytest.mark.slow
def test_corpus_converts_to_valid_manifests():
    from composeconv.backends import ConvertOptions
    from composeconv.backends.kubernetes import convert

    cases = corpus_loadable()
    failures: dict[str, str] = {}
    for path in cases:
        try:
            result = convert(corpus_project(path), ConvertOptions())
            errs = all_errors(result)
        except Exception as exc:  # noqa: BLE001 - every failure is listed below
            errs = [f"exception {exc!r}"]
        if errs:
            failures[path] = "; ".join(errs[:3])
    unexpected = {p: e for p, e in failures.items() if p not in KNOWN_CORPUS_FAILURES}
    rate = 1 - len(failures) / len(cases)
    assert rate >= 0.99, f"{len(failures)} of {len(cases)} fail:\n" + "\n".join(f"{p}: {e}" for p, e in failures.items())
    assert not unexpected, "\n".join(f"{p}: {e}" for p, e in unexpected.items())
