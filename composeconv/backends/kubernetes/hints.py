"""Kubernetes hints: the `x-kubernetes` extension and the kompose.* labels users already have."""

from __future__ import annotations

import shlex
from typing import Any

from ...diagnostics import KeyPath
from ...model import Project, Service
from ...model.types import Volume
from ...model.values import Duration, ValueError_
from .context import Ctx
from .options import BIND_POLICIES, CONTROLLERS
from ...records import field, record
from ...lazyre import lazy

EXT = "x-kubernetes"
SERVICE_TYPES = {"clusterip": "ClusterIP", "nodeport": "NodePort", "loadbalancer": "LoadBalancer",
                 "headless": "headless"}
ACCESS_MODES = {"readwriteonce": "ReadWriteOnce", "readonlymany": "ReadOnlyMany", "readwritemany": "ReadWriteMany",
                "readwriteoncepod": "ReadWriteOncePod", "rwo": "ReadWriteOnce", "rox": "ReadOnlyMany",
                "rwx": "ReadWriteMany", "rwop": "ReadWriteOncePod"}
PULL_POLICIES = {"always": "Always", "ifnotpresent": "IfNotPresent", "never": "Never"}
_QUANTITY = lazy(r"^[0-9]+(\.[0-9]+)?(Ki|Mi|Gi|Ti|Pi|Ei|k|M|G|T|P|E)?$")
# kompose.volume.type values -> our bind-mount policies
_KOMPOSE_VOLUME_TYPES = {"hostpath": "hostpath", "emptydir": "emptydir", "persistentvolumeclaim": "pvc",
                         "configmap": "configmap"}

# the keys of the service-level x-kubernetes mapping, and what they do (for the docs)
SERVICE_HINTS: dict[str, str] = {
    "controller": "deployment | statefulset | daemonset | job",
    "service.type": "ClusterIP | NodePort | LoadBalancer | headless",
    "service.nodePort": "fixed nodePort (NodePort or LoadBalancer with exactly one port)",
    "service.annotations": "annotations of the Service",
    "ingress.host": "host of an Ingress to the first Service port (optional)",
    "ingress.path": "path prefix of the Ingress rule (default /)",
    "ingress.tls": "true, or the name of the TLS Secret",
    "ingress.className": "spec.ingressClassName",
    "annotations": "annotations of the pod template",
    "imagePullPolicy": "Always | IfNotPresent | Never (wins over pull_policy)",
    "imagePullSecrets": "list of Secret names for pulling the image",
    "serviceAccountName": "the pod's ServiceAccount",
    "storage.size": "size of the claims of the named volumes this service mounts",
    "storage.storageClass": "storageClassName of those claims",
    "storage.accessMode": "ReadWriteOnce | ReadOnlyMany | ReadWriteMany | ReadWriteOncePod",
    "bindMounts": "hostpath | emptydir | pvc | configmap: what this service's bind mounts become",
    "hpa.minReplicas": "HorizontalPodAutoscaler minimum (default 1)",
    "hpa.maxReplicas": "HorizontalPodAutoscaler maximum (default 3)",
    "hpa.cpu": "target average CPU utilization in percent",
    "hpa.memory": "target average memory utilization in percent",
}
VOLUME_HINTS: dict[str, str] = {
    "size": "requested size (a Kubernetes quantity such as 10Gi)",
    "storageClass": "storageClassName",
    "accessMode": "ReadWriteOnce | ReadOnlyMany | ReadWriteMany | ReadWriteOncePod",
}
PROJECT_HINTS: dict[str, str] = {
    "storage.size": "default size of every claim",
    "storage.storageClass": "default storageClassName of every claim",
    "storage.accessMode": "default access mode of every claim",
    "bindMounts": "hostpath | emptydir | pvc | configmap for every service",
}

# kompose labels read as hints -> what they set
KOMPOSE_LABELS: dict[str, str] = {
    "kompose.service.type": "service.type (clusterip, nodeport, loadbalancer, headless)",
    "kompose.service.expose": "ingress: `true` or a comma list of host[/path]",
    "kompose.service.expose.tls-secret": "ingress.tls",
    "kompose.service.expose.ingress-class-name": "ingress.className",
    "kompose.service.nodeport.port": "service.nodePort",
    "kompose.volume.size": "storage.size (service label or top-level volume label)",
    "kompose.volume.storage-class-name": "storage.storageClass (service label or top-level volume label)",
    "kompose.volume.type": "bindMounts (persistentVolumeClaim, emptyDir, hostPath, configMap)",
    "kompose.controller.type": "controller",
    "kompose.image-pull-policy": "imagePullPolicy",
    "kompose.image-pull-secret": "imagePullSecrets",
    "kompose.serviceaccount-name": "serviceAccountName",
    "kompose.hpa.replicas.min": "hpa.minReplicas",
    "kompose.hpa.replicas.max": "hpa.maxReplicas",
    "kompose.hpa.cpu": "hpa.cpu",
    "kompose.hpa.memory": "hpa.memory",
    "kompose.service.healthcheck.readiness.*": "readiness probe: test, interval, timeout, retries, start_period, "
                                               "disable, http_get_path, http_get_port, tcp_port",
    "kompose.service.healthcheck.liveness.*": "liveness probe: http_get_path, http_get_port, tcp_port",
}
_PROBE_KEYS = ("test", "interval", "timeout", "retries", "start_period", "disable", "http_get_path",
               "http_get_port", "tcp_port")


@record(frozen=False, slots=False)
class ProbeHint:
    """A probe described by kompose labels instead of (or on top of) the healthcheck."""

    test: tuple[str, ...] | None = None
    interval: Duration | None = None
    timeout: Duration | None = None
    retries: int | None = None
    start_period: Duration | None = None
    disable: bool = False
    http_get_path: str | None = None
    http_get_port: int | None = None
    tcp_port: int | None = None


@record(frozen=False, slots=False)
class IngressHint:
    rules: list[tuple[str | None, str]] = field(default_factory=list)  # (host, path)
    tls: bool = False
    tls_secret: str | None = None
    class_name: str | None = None


@record(frozen=False, slots=False)
class HpaHint:
    min_replicas: int = 1
    max_replicas: int = 3
    cpu: int | None = None
    memory: int | None = None


@record(frozen=False, slots=False)
class StorageHint:
    size: str | None = None
    storage_class: str | None = None
    access_mode: str | None = None


@record(frozen=False, slots=False)
class ServiceHints:
    controller: str | None = None
    service_type: str | None = None
    node_port: int | None = None
    service_annotations: dict[str, str] = field(default_factory=dict)
    pod_annotations: dict[str, str] = field(default_factory=dict)
    ingress: IngressHint | None = None
    image_pull_policy: str | None = None
    image_pull_secrets: list[str] = field(default_factory=list)
    service_account: str | None = None
    storage: StorageHint = field(default_factory=StorageHint)
    bind_mounts: str | None = None
    hpa: HpaHint | None = None
    readiness: ProbeHint | None = None
    liveness: ProbeHint | None = None
    consumed_labels: set[str] = field(default_factory=set)


class _Reader:
    """Reads values out of a hint mapping, reporting each one that does not fit."""

    def __init__(self, ctx: Ctx, path: KeyPath, whole_keys: bool = False):
        self.ctx = ctx
        self.path = path
        self.whole_keys = whole_keys  # label keys are one path element; hint keys are dotted paths

    def bad(self, key: str, value: Any, expected: str) -> None:
        where = (key,) if self.whole_keys else tuple(k for k in key.split(".") if k)
        self.ctx.warn("k8s-bad-hint", f"hint {key}={value!r} ignored: expected {expected}", self.path + where)

    def choice(self, key: str, value: Any, table: dict[str, str]) -> str | None:
        if isinstance(value, str) and value.lower() in table:
            return table[value.lower()]
        self.bad(key, value, " | ".join(sorted(set(table.values()))))
        return None

    def integer(self, key: str, value: Any, lo: int = 0, hi: int = 2**31 - 1) -> int | None:
        try:
            n = int(str(value).strip()) if not isinstance(value, bool) else None
        except ValueError:
            n = None
        if n is None or not lo <= n <= hi:
            self.bad(key, value, f"a whole number from {lo} to {hi}")
            return None
        return n

    def text(self, key: str, value: Any) -> str | None:
        if isinstance(value, (str, int, float)) and not isinstance(value, bool) and str(value):
            return str(value)
        self.bad(key, value, "a string")
        return None

    def quantity(self, key: str, value: Any) -> str | None:
        text = str(value) if isinstance(value, (str, int)) and not isinstance(value, bool) else ""
        if _QUANTITY.match(text):
            return text
        self.bad(key, value, "a Kubernetes quantity such as 10Gi")
        return None

    def mapping(self, key: str, value: Any) -> dict[str, str]:
        if isinstance(value, dict) and all(isinstance(k, str) for k in value):
            return {k: str(v) for k, v in sorted(value.items())}
        self.bad(key, value, "a mapping of strings")
        return {}

    def duration(self, key: str, value: Any) -> Duration | None:
        try:
            return Duration.parse(value)
        except (ValueError_, ValueError):
            self.bad(key, value, "a duration such as 10s")
            return None

    def boolean(self, key: str, value: Any) -> bool | None:
        if isinstance(value, bool):
            return value
        if isinstance(value, str) and value.lower() in ("true", "false"):
            return value.lower() == "true"
        self.bad(key, value, "true or false")
        return None


def _flatten(value: Any, prefix: str = "") -> dict[str, Any]:
    """{"service": {"type": "x"}} -> {"service.type": "x"}; mappings under annotations stay whole."""
    out: dict[str, Any] = {}
    if not isinstance(value, dict):
        return {prefix: value} if prefix else {}
    for k in sorted(value, key=str):
        key = f"{prefix}.{k}" if prefix else str(k)
        v = value[k]
        if isinstance(v, dict) and not key.endswith("annotations"):
            out.update(_flatten(v, key))
        else:
            out[key] = v
    return out


def _storage(r: _Reader, key: str, value: Any, into: StorageHint) -> None:
    if key.endswith("size"):
        into.size = r.quantity(key, value) or into.size
    elif key.endswith("storageClass"):
        into.storage_class = r.text(key, value) or into.storage_class
    else:
        into.access_mode = r.choice(key, value, ACCESS_MODES) or into.access_mode


def _ingress_rules(r: _Reader, key: str, value: str) -> list[tuple[str | None, str]]:
    if value.lower() == "true":
        return [(None, "/")]
    rules: list[tuple[str | None, str]] = []
    for part in value.split(","):
        part = part.strip()
        if not part:
            continue
        host, slash, path = part.partition("/")
        rules.append((host or None, "/" + path if slash else "/"))
    if not rules:
        r.bad(key, value, "true or a comma list of host[/path]")
    return rules


def service_hints(ctx: Ctx, service: Service, spath: KeyPath) -> ServiceHints:
    """The hints for one service: kompose labels first, then x-kubernetes on top of them."""
    hints = ServiceHints()
    _kompose_service_labels(ctx, service, spath, hints)
    raw = service.extensions.get(EXT)
    if raw is None:
        return hints
    xpath = spath + (EXT,)
    r = _Reader(ctx, xpath)
    if not isinstance(raw, dict):
        r.bad("", raw, "a mapping")
        return hints
    for key, value in _flatten(raw).items():
        if key == "controller":
            hints.controller = r.choice(key, value, CONTROLLERS) or hints.controller
        elif key == "service.type":
            hints.service_type = r.choice(key, value, SERVICE_TYPES) or hints.service_type
        elif key == "service.nodePort":
            hints.node_port = r.integer(key, value, 1, 65535) or hints.node_port
        elif key == "service.annotations":
            hints.service_annotations.update(r.mapping(key, value))
        elif key == "annotations":
            hints.pod_annotations.update(r.mapping(key, value))
        elif key in ("ingress.host", "ingress.path"):
            text = r.text(key, value)
            if text is not None:
                ing = hints.ingress = hints.ingress or IngressHint()
                host, path = ing.rules[0] if ing.rules else (None, "/")
                ing.rules = [(text, path) if key == "ingress.host" else (host, text if text.startswith("/") else "/" + text)]
        elif key == "ingress.tls":
            ing = hints.ingress = hints.ingress or IngressHint(rules=[(None, "/")])
            if isinstance(value, bool):
                ing.tls = value
            else:
                ing.tls, ing.tls_secret = True, r.text(key, value)
        elif key == "ingress.className":
            ing = hints.ingress = hints.ingress or IngressHint(rules=[(None, "/")])
            ing.class_name = r.text(key, value)
        elif key == "imagePullPolicy":
            hints.image_pull_policy = r.choice(key, value, PULL_POLICIES) or hints.image_pull_policy
        elif key == "imagePullSecrets":
            if isinstance(value, list) and all(isinstance(v, str) for v in value):
                hints.image_pull_secrets = list(value)
            elif isinstance(value, str):
                hints.image_pull_secrets = [value]
            else:
                r.bad(key, value, "a list of Secret names")
        elif key == "serviceAccountName":
            hints.service_account = r.text(key, value) or hints.service_account
        elif key in ("storage.size", "storage.storageClass", "storage.accessMode"):
            _storage(r, key, value, hints.storage)
        elif key == "bindMounts":
            if isinstance(value, str) and value.lower() in BIND_POLICIES:
                hints.bind_mounts = value.lower()
            else:
                r.bad(key, value, " | ".join(BIND_POLICIES))
        elif key in ("hpa.minReplicas", "hpa.maxReplicas", "hpa.cpu", "hpa.memory"):
            hpa = hints.hpa = hints.hpa or HpaHint()
            lo, hi = (1, 100) if key in ("hpa.cpu", "hpa.memory") else (1, 10000)
            n = r.integer(key, value, lo, hi)
            if n is not None:
                setattr(hpa, {"hpa.minReplicas": "min_replicas", "hpa.maxReplicas": "max_replicas",
                              "hpa.cpu": "cpu", "hpa.memory": "memory"}[key], n)
        elif key == "ingress":  # `ingress: true`
            if value is True:
                hints.ingress = hints.ingress or IngressHint(rules=[(None, "/")])
            else:
                r.bad(key, value, "true or a mapping")
        else:
            ctx.warn("k8s-unknown-hint", f"unknown hint {key!r} in {EXT}", xpath + tuple(key.split(".")),
                     "see docs/kubernetes.md for the hints composeconv reads")
    return hints


def _kompose_service_labels(ctx: Ctx, service: Service, spath: KeyPath, hints: ServiceHints) -> None:
    labels = service.labels
    for key in sorted(labels):
        if not key.startswith("kompose."):
            continue
        value = labels[key]
        r = _Reader(ctx, spath + ("labels",), whole_keys=True)
        hints.consumed_labels.add(key)
        lpath = spath + ("labels", key)
        if key == "kompose.service.type":
            hints.service_type = r.choice(key, value, SERVICE_TYPES)
        elif key == "kompose.service.expose":
            rules = _ingress_rules(r, key, value)
            if rules:
                ing = hints.ingress = hints.ingress or IngressHint()
                ing.rules = rules
        elif key == "kompose.service.expose.tls-secret":
            ing = hints.ingress = hints.ingress or IngressHint()
            ing.tls = True
            ing.tls_secret = None if value.lower() == "true" else value
        elif key == "kompose.service.expose.ingress-class-name":
            ing = hints.ingress = hints.ingress or IngressHint()
            ing.class_name = value
        elif key == "kompose.service.nodeport.port":
            hints.node_port = r.integer(key, value, 1, 65535)
        elif key == "kompose.volume.size":
            hints.storage.size = r.quantity(key, value)
        elif key == "kompose.volume.storage-class-name":
            hints.storage.storage_class = r.text(key, value)
        elif key == "kompose.volume.type":
            policy = _KOMPOSE_VOLUME_TYPES.get(value.lower())
            if policy is None:
                r.bad(key, value, "persistentVolumeClaim | emptyDir | hostPath | configMap")
            hints.bind_mounts = policy
        elif key == "kompose.controller.type":
            hints.controller = r.choice(key, value, CONTROLLERS)
        elif key == "kompose.image-pull-policy":
            hints.image_pull_policy = r.choice(key, value, PULL_POLICIES)
        elif key == "kompose.image-pull-secret":
            hints.image_pull_secrets = [value]
        elif key == "kompose.serviceaccount-name":
            hints.service_account = value or None
        elif key.startswith("kompose.hpa."):
            hpa = hints.hpa = hints.hpa or HpaHint()
            attr = {"kompose.hpa.replicas.min": "min_replicas", "kompose.hpa.replicas.max": "max_replicas",
                    "kompose.hpa.cpu": "cpu", "kompose.hpa.memory": "memory"}.get(key)
            if attr is None:
                ctx.warn("k8s-unknown-hint", f"unknown kompose label {key!r}; not copied", lpath)
                continue
            lo, hi = (1, 100) if attr in ("cpu", "memory") else (1, 10000)
            n = r.integer(key, value.rstrip("%"), lo, hi)
            if n is not None:
                setattr(hpa, attr, n)
        elif key.startswith(("kompose.service.healthcheck.readiness.", "kompose.service.healthcheck.liveness.")):
            kind, _, name = key[len("kompose.service.healthcheck."):].partition(".")
            if name not in _PROBE_KEYS or (kind == "liveness" and name not in ("http_get_path", "http_get_port", "tcp_port")):
                ctx.warn("k8s-unknown-hint", f"unknown kompose label {key!r}; not copied", lpath)
                continue
            probe = getattr(hints, kind) or ProbeHint()
            setattr(hints, kind, probe)
            _probe_label(r, key, name, value, probe)
        else:
            ctx.warn("k8s-unknown-hint", f"kompose label {key!r} is not supported; not copied", lpath,
                     "see docs/kubernetes.md for the kompose labels composeconv reads")


def _probe_label(r: _Reader, key: str, name: str, value: str, probe: ProbeHint) -> None:
    if name == "test":
        try:
            probe.test = tuple(shlex.split(value))
        except ValueError:
            r.bad(key, value, "a command line")
    elif name in ("interval", "timeout", "start_period"):
        setattr(probe, name, r.duration(key, value))
    elif name == "retries":
        probe.retries = r.integer(key, value, 1)
    elif name == "disable":
        probe.disable = bool(r.boolean(key, value))
    elif name == "http_get_path":
        probe.http_get_path = value if value.startswith("/") else "/" + value
    else:
        setattr(probe, name, r.integer(key, value, 1, 65535))


def volume_hint(ctx: Ctx, key: str, volume: Volume) -> StorageHint:
    """Storage hints of a top-level volume: kompose labels, then x-kubernetes."""
    out = StorageHint()
    vpath: KeyPath = ("volumes", key)
    r = _Reader(ctx, vpath + ("labels",), whole_keys=True)
    if "kompose.volume.size" in volume.labels:
        out.size = r.quantity("kompose.volume.size", volume.labels["kompose.volume.size"])
    if "kompose.volume.storage-class-name" in volume.labels:
        out.storage_class = r.text("kompose.volume.storage-class-name",
                                   volume.labels["kompose.volume.storage-class-name"])
    raw = volume.extensions.get(EXT)
    if raw is None:
        return out
    r = _Reader(ctx, vpath + (EXT,))
    if not isinstance(raw, dict):
        r.bad("", raw, "a mapping")
        return out
    for k in sorted(raw, key=str):
        if k in ("size", "storageClass", "accessMode"):
            _storage(r, k, raw[k], out)
        else:
            ctx.warn("k8s-unknown-hint", f"unknown hint {k!r} in {EXT}", vpath + (EXT, k))
    return out


@record(frozen=False, slots=False)
class ProjectHints:
    storage: StorageHint = field(default_factory=StorageHint)
    bind_mounts: str | None = None


def project_hints(ctx: Ctx, project: Project) -> ProjectHints:
    out = ProjectHints()
    raw = project.extensions.get(EXT)
    if raw is None:
        return out
    r = _Reader(ctx, (EXT,))
    if not isinstance(raw, dict):
        r.bad("", raw, "a mapping")
        return out
    for key, value in _flatten(raw).items():
        if key in ("storage.size", "storage.storageClass", "storage.accessMode"):
            _storage(r, key, value, out.storage)
        elif key == "bindMounts":
            if isinstance(value, str) and value.lower() in BIND_POLICIES:
                out.bind_mounts = value.lower()
            else:
                r.bad(key, value, " | ".join(BIND_POLICIES))
        else:
            ctx.warn("k8s-unknown-hint", f"unknown hint {key!r} in {EXT}", (EXT,) + tuple(key.split(".")))
    return out
