"""What a Helm chart's values hold, read back from the Kubernetes objects the chart templates."""

from __future__ import annotations

import base64
import binascii
from typing import Any

from ..records import field, record

POD_KINDS = ("Deployment", "StatefulSet", "DaemonSet", "Job")
PROBES = (("readinessProbe", "readiness"), ("livenessProbe", "liveness"), ("startupProbe", "startup"))


@record(frozen=False, slots=False)
class ChartIndex:
    """The objects of one conversion, and who owns what: the keys of the values follow from it."""

    objects: list[dict[str, Any]]
    emitted: set[tuple[str, str]] = field(default_factory=set)
    workloads: dict[str, dict[str, Any]] = field(default_factory=dict)       # workload name -> object
    container_owner: dict[str, str] = field(default_factory=dict)            # container name -> workload name
    service_owner: dict[str, str] = field(default_factory=dict)              # Service name -> workload name
    env_configmaps: dict[str, str] = field(default_factory=dict)             # ConfigMap name -> container name
    ingresses: dict[str, dict[str, Any]] = field(default_factory=dict)       # workload name -> Ingress
    claims: dict[str, dict[str, Any]] = field(default_factory=dict)          # claim name -> PersistentVolumeClaim
    secrets: dict[str, dict[str, Any]] = field(default_factory=dict)         # Secret name -> Secret

    @classmethod
    def build(cls, objects: list[dict[str, Any]]) -> "ChartIndex":
        index = cls(objects=objects)
        for obj in objects:
            kind, name = obj["kind"], obj["metadata"]["name"]
            index.emitted.add((kind, name))
            if kind in POD_KINDS:
                index.workloads[name] = obj
                for c in obj["spec"]["template"]["spec"]["containers"]:
                    index.container_owner[c["name"]] = name
                    for ref in c.get("envFrom", []):
                        if "configMapRef" in ref:
                            index.env_configmaps[ref["configMapRef"]["name"]] = c["name"]
            elif kind == "PersistentVolumeClaim":
                index.claims[name] = obj
            elif kind == "Secret" and set(obj.get("data", {})) and "stringData" not in obj:
                index.secrets[name] = obj
        selectors = {name: _pod_labels(w) for name, w in index.workloads.items()}
        for obj in objects:
            if obj["kind"] == "Service":
                sel = obj["spec"].get("selector") or {}
                owners = [w for w, labels in sorted(selectors.items())
                          if sel and all(labels.get(k) == v for k, v in sel.items())]
                if obj["metadata"]["name"] in owners:
                    index.service_owner[obj["metadata"]["name"]] = obj["metadata"]["name"]
                elif len(owners) == 1:
                    index.service_owner[obj["metadata"]["name"]] = owners[0]
            elif (obj["kind"] == "Ingress" and obj["metadata"]["name"] in index.workloads
                  and ingress_is_regular(obj, obj["metadata"]["name"])):
                index.ingresses[obj["metadata"]["name"]] = obj
        # an env ConfigMap is templated from its container's values only when it is emitted
        index.env_configmaps = {cm: c for cm, c in index.env_configmaps.items() if ("ConfigMap", cm) in index.emitted}
        # a Secret whose data is not text cannot be held as text in the values: it stays in its template
        index.secrets = {n: s for n, s in index.secrets.items() if _decoded(s) is not None}
        return index

    def primary_service(self, workload: str) -> dict[str, Any] | None:
        """The Service named like the workload: the one whose type and ports the values set."""
        for obj in self.objects:
            if obj["kind"] == "Service" and obj["metadata"]["name"] == workload:
                return obj
        return None


def _pod_labels(workload: dict[str, Any]) -> dict[str, str]:
    return workload["spec"]["template"]["metadata"].get("labels", {})


def _decoded(secret: dict[str, Any]) -> dict[str, str] | None:
    out = {}
    for key, value in secret.get("data", {}).items():
        try:
            out[key] = base64.b64decode(value, validate=True).decode("utf-8")
        except (binascii.Error, UnicodeDecodeError):
            return None
    return out


def split_image(ref: str) -> dict[str, str]:
    """An image reference as repository, tag and digest (the tag's colon comes after the last slash)."""
    name, at, digest = ref.partition("@")
    slash, colon = name.rfind("/"), name.rfind(":")
    repository, tag = (name[:colon], name[colon + 1:]) if colon > slash else (name, "")
    out = {"repository": repository, "tag": tag}
    if at:
        out["digest"] = digest
    return out


def container_values(container: dict[str, Any], env_data: dict[str, str] | None) -> dict[str, Any]:
    """image, env, resources and probe switches of one container."""
    image = split_image(container["image"])
    image["pullPolicy"] = container.get("imagePullPolicy", "")
    out: dict[str, Any] = {"image": image}
    if env_data is not None:
        out["env"] = dict(env_data)
    elif templated_env(container):
        out["env"] = {e["name"]: e["value"] for e in container.get("env", [])}
    out["resources"] = container.get("resources", {})
    probes = {short: True for key, short in PROBES if key in container}
    if probes:
        out["probes"] = probes
    return out


def templated_env(container: dict[str, Any]) -> bool:
    """Whether the container's env list is exactly name/value pairs in name order (what the values can hold)."""
    env = container.get("env", [])
    return (all(set(e) == {"name", "value"} and isinstance(e["value"], str) for e in env)
            and [e["name"] for e in env] == sorted(e["name"] for e in env)
            and len({e["name"] for e in env}) == len(env))


def service_values(service: dict[str, Any]) -> dict[str, Any]:
    spec = service["spec"]
    kind = "headless" if spec.get("clusterIP") == "None" else spec.get("type", "ClusterIP")
    return {"type": kind, "ports": spec.get("ports", [])}


def first_tcp_port(ports: list[dict[str, Any]]) -> int | None:
    return next((p["port"] for p in ports if p.get("protocol", "TCP") == "TCP"), None)


def ingress_values(ingress: dict[str, Any] | None) -> dict[str, Any]:
    if ingress is None:
        return {"enabled": False, "className": "", "rules": [{"host": "", "path": "/"}], "tls": False,
                "tlsSecretName": ""}
    spec = ingress["spec"]
    rules = [{"host": r.get("host", ""), "path": r["http"]["paths"][0]["path"]} for r in spec["rules"]]
    tls = spec.get("tls", [])
    return {"enabled": True, "className": spec.get("ingressClassName", ""), "rules": rules, "tls": bool(tls),
            "tlsSecretName": tls[0].get("secretName", "") if tls else ""}


def ingress_is_regular(ingress: dict[str, Any], workload: str) -> bool:
    """Whether an Ingress has the shape the chart's Ingress template makes (else it is kept as it is)."""
    spec = ingress["spec"]
    if set(spec) - {"ingressClassName", "tls", "rules"} or len(spec.get("tls", [])) > 1:
        return False
    for rule in spec["rules"]:
        paths = rule.get("http", {}).get("paths", [])
        if set(rule) - {"host", "http"} or len(paths) != 1 or paths[0].get("pathType") != "Prefix":
            return False
        if paths[0]["backend"].get("service", {}).get("name") != workload:
            return False
    hosts = sorted({r["host"] for r in spec["rules"] if r.get("host")})
    tls = spec.get("tls", [{}])[0] if spec.get("tls") else None
    return tls is None or (tls.get("hosts", []) == hosts and set(tls) <= {"hosts", "secretName"})


def claim_values(claim: dict[str, Any]) -> dict[str, Any]:
    spec = claim["spec"]
    return {"enabled": True, "size": spec["resources"]["requests"]["storage"],
            "storageClass": spec.get("storageClassName", ""), "accessModes": spec["accessModes"]}


def build_values(index: ChartIndex) -> dict[str, Any]:
    """The chart's default values: one block per service (container), per claim, per inlined Secret."""
    services: dict[str, Any] = {}
    configmaps = {o["metadata"]["name"]: o for o in index.objects if o["kind"] == "ConfigMap"}
    for wname in sorted(index.workloads):
        workload = index.workloads[wname]
        for c in workload["spec"]["template"]["spec"]["containers"]:
            cm = next((ref["configMapRef"]["name"] for ref in c.get("envFrom", [])
                       if ref.get("configMapRef", {}).get("name") in index.env_configmaps), None)
            block: dict[str, Any] = {}
            if c["name"] == wname and workload["kind"] in ("Deployment", "StatefulSet"):
                block["replicas"] = workload["spec"].get("replicas", 1)
            block.update(container_values(c, configmaps[cm].get("data", {}) if cm else None))
            if c["name"] == wname:
                svc = index.primary_service(wname)
                if svc is not None:
                    block["service"] = service_values(svc)
                    if first_tcp_port(block["service"]["ports"]) is not None:
                        block["ingress"] = ingress_values(index.ingresses.get(wname))
            services[c["name"]] = block
    values: dict[str, Any] = {"prefixNames": False, "nameOverride": "", "fullnameOverride": "", "services": services}
    if index.claims:
        values["persistence"] = {name: claim_values(index.claims[name]) for name in sorted(index.claims)}
    if index.secrets:
        values["secrets"] = {name: _decoded(index.secrets[name]) for name in sorted(index.secrets)}
    return values


# -- values.schema.json: Helm checks the values against it, so a typo or a wrong type fails the install

_SCALAR = {"type": ["string", "number", "boolean"]}
_PORT = {"type": "object", "required": ["port"], "properties": {
    "name": {"type": "string"}, "port": {"type": "integer", "minimum": 1, "maximum": 65535},
    "targetPort": {"type": ["integer", "string"]}, "protocol": {"enum": ["TCP", "UDP", "SCTP"]},
    "appProtocol": {"type": "string"}, "nodePort": {"type": "integer"}}, "additionalProperties": False}


def _closed(properties: dict[str, Any], required: tuple[str, ...] = ()) -> dict[str, Any]:
    out: dict[str, Any] = {"type": "object", "properties": properties, "additionalProperties": False}
    if required:
        out["required"] = list(required)
    return out


def _service_schema(block: dict[str, Any]) -> dict[str, Any]:
    props: dict[str, Any] = {
        "image": _closed({"repository": {"type": "string", "minLength": 1}, "tag": {"type": ["string", "number"]},
                          "digest": {"type": "string"},
                          "pullPolicy": {"enum": ["", "Always", "IfNotPresent", "Never"]}}, ("repository",)),
        "resources": {"type": "object"},
    }
    if "replicas" in block:
        props["replicas"] = {"type": "integer", "minimum": 0}
    if "env" in block:
        props["env"] = {"type": "object", "additionalProperties": _SCALAR}
    if "probes" in block:
        props["probes"] = _closed({short: {"type": "boolean"} for short in block["probes"]})
    if "service" in block:
        props["service"] = _closed({"type": {"enum": ["ClusterIP", "NodePort", "LoadBalancer", "headless"]},
                                    "ports": {"type": "array", "items": _PORT}}, ("type", "ports"))
    if "ingress" in block:
        props["ingress"] = _closed({
            "enabled": {"type": "boolean"}, "className": {"type": "string"},
            "rules": {"type": "array", "minItems": 1, "items": _closed(
                {"host": {"type": "string"}, "path": {"type": "string", "pattern": "^/"}}, ("path",))},
            "tls": {"type": "boolean"}, "tlsSecretName": {"type": "string"}})
    return _closed(props, ("image",))


def values_schema(values: dict[str, Any]) -> dict[str, Any]:
    """A JSON schema of the values: the keys the templates read, with their types; nothing else."""
    props: dict[str, Any] = {
        "prefixNames": {"type": "boolean"},
        "nameOverride": {"type": "string"},
        "fullnameOverride": {"type": "string"},
        "services": _closed({name: _service_schema(block) for name, block in values["services"].items()}),
    }
    if "persistence" in values:
        props["persistence"] = _closed({name: _closed({
            "enabled": {"type": "boolean"}, "size": {"type": "string", "minLength": 1},
            "storageClass": {"type": "string"},
            "accessModes": {"type": "array", "minItems": 1, "items": {
                "enum": ["ReadWriteOnce", "ReadOnlyMany", "ReadWriteMany", "ReadWriteOncePod"]}}})
            for name in values["persistence"]})
    if "secrets" in values:
        props["secrets"] = _closed({name: {"type": "object", "additionalProperties": {"type": "string"}}
                                    for name in values["secrets"]})
    return {"$schema": "http://json-schema.org/draft-07/schema#", "title": "Values", "type": "object",
            "properties": props}
