"""One Compose service as one Kubernetes container: image, command, env, resources, security."""

from __future__ import annotations

import re
from typing import Any

from ...diagnostics import KeyPath
from ...model import Service
from ...model.types import DeviceRequest, Resource
from .context import Ctx
from .hints import ServiceHints
from .names import data_key
from .units import cpu_quantity, memory_quantity

_NUMERIC = re.compile(r"^\d+$")
_PULL = {"always": "Always", "never": "Never", "missing": "IfNotPresent", "if_not_present": "IfNotPresent",
         "build": "IfNotPresent"}
_ESCAPE = re.compile(r"\$(?=[$(])")


def escape(text: str) -> str:
    """Escape text so that Kubernetes' $(VAR) expansion leaves it exactly as it is ($$ and $( doubled)."""
    return _ESCAPE.sub("$$", text)


def image_of(ctx: Ctx, service: Service, spath: KeyPath) -> str:
    if service.build is not None:
        ctx.warn("k8s-build", "build: Kubernetes runs images from a registry; build and push the image yourself"
                 + ("" if service.image else f" and name it {_built_name(ctx, service)}"), spath + ("build",))
    if service.image:
        return service.image
    if service.build is None and service.provider is None:
        ctx.warn("k8s-no-image", f"service has neither image nor build: using {_built_name(ctx, service)}",
                 spath + ("image",))
    return _built_name(ctx, service)


def _built_name(ctx: Ctx, service: Service) -> str:
    # the name Compose gives an image it builds
    return f"{ctx.project.name}-{service.name}" if ctx.project.name else service.name


def pull_policy(ctx: Ctx, service: Service, spath: KeyPath, hints: ServiceHints) -> str | None:
    if hints.image_pull_policy:
        return hints.image_pull_policy
    value = service.pull_policy
    if value is None:
        return None
    if value in _PULL:
        if value == "build":
            ctx.info("k8s-pull-policy", "pull_policy: build: the image is never built here; IfNotPresent is used",
                     spath + ("pull_policy",))
        return _PULL[value]
    if value == "daily" or value == "weekly" or value.startswith("every_"):
        ctx.info("k8s-pull-policy", f"pull_policy {value} has no Kubernetes equivalent: Always is used",
                 spath + ("pull_policy",))
        return "Always"
    ctx.warn("k8s-pull-policy", f"unknown pull_policy {value}", spath + ("pull_policy",))
    return None


def command_and_args(ctx: Ctx, service: Service, spath: KeyPath) -> dict[str, list[str]]:
    out: dict[str, list[str]] = {}
    if service.entrypoint is not None:
        if service.entrypoint:
            out["command"] = [escape(a) for a in service.entrypoint]
        else:
            ctx.warn("k8s-empty-entrypoint", "an empty entrypoint (which clears the image's) cannot be expressed: "
                     "Kubernetes uses the image's ENTRYPOINT when command is empty", spath + ("entrypoint",))
    if service.command is not None:
        if service.command:
            out["args"] = [escape(a) for a in service.command]
        elif service.entrypoint:
            out["args"] = []
        else:
            ctx.warn("k8s-empty-command", "an empty command (which clears the image's CMD) cannot be expressed "
                     "without an entrypoint", spath + ("command",))
    return out


def environment(ctx: Ctx, service: Service, spath: KeyPath, secret: str | None = None,
                plain: bool = True) -> list[dict[str, Any]]:
    """env entries in name order; keys without a value are left out, as Compose leaves them unset.

    Variables the option secret_env names are read from the Secret `secret`; plain=False leaves the
    others out (they are in a ConfigMap).
    """
    out: list[dict[str, Any]] = []
    for key in sorted(service.environment):
        value = service.environment[key]
        if value is None:
            if plain:
                ctx.info("k8s-env-unset", f"{key} has no value (it was not set when loading): left out",
                         spath + ("environment", key))
            continue
        if secret is not None and ctx.options.is_secret_env(key):
            out.append({"name": key, "valueFrom": {"secretKeyRef": {"name": secret, "key": data_key(key)}}})
        elif plain:
            out.append({"name": key, "value": escape(value)})
    return out


# -- resources

def _gpu_count(ctx: Ctx, d: DeviceRequest, path: KeyPath) -> tuple[str, int] | None:
    if "gpu" not in d.capabilities and not (d.driver or "").lower() == "nvidia":
        ctx.warn("k8s-device-request", f"device request with capabilities {list(d.capabilities)} has no "
                 "Kubernetes resource name", path)
        return None
    driver = (d.driver or "nvidia").lower()
    resource = {"nvidia": "nvidia.com/gpu", "amd": "amd.com/gpu"}.get(driver)
    if resource is None:
        ctx.warn("k8s-device-request", f"GPU driver {driver} has no known Kubernetes resource name", path)
        return None
    if d.device_ids:
        ctx.warn("k8s-device-ids", "device_ids cannot be chosen in Kubernetes: asking for as many GPUs",
                 path + ("device_ids",))
        return resource, len(d.device_ids)
    if d.count is None or d.count < 0:
        ctx.warn("k8s-gpu-all", "count: all has no Kubernetes equivalent: asking for 1 GPU", path)
        return resource, 1
    if d.options:
        ctx.info("k8s-ignored", "device request options have no Kubernetes equivalent", path + ("options",))
    return resource, d.count


def _side(ctx: Ctx, r: Resource | None, path: KeyPath, into: dict[str, Any], gpus: dict[str, int]) -> None:
    if r is None:
        return
    if r.cpus is not None and r.cpus > 0:
        into["cpu"] = cpu_quantity(r.cpus)
    if r.memory:
        into["memory"] = memory_quantity(r.memory)
    if r.pids:
        ctx.warn("k8s-pids-limit", "a per-container pids limit is set by the kubelet, not per pod",
                 path + ("pids",))
    for i, d in enumerate(r.devices):
        got = _gpu_count(ctx, d, path + ("devices", i))
        if got:
            gpus[got[0]] = gpus.get(got[0], 0) + got[1]
    if r.generic_resources:
        ctx.warn("k8s-generic-resources", "generic resources have no Kubernetes equivalent; use extended resources "
                 "by hand", path + ("generic_resources",))


def resources(ctx: Ctx, service: Service, spath: KeyPath) -> dict[str, Any]:
    limits: dict[str, Any] = {}
    requests: dict[str, Any] = {}
    gpus: dict[str, int] = {}
    res = service.deploy.resources if service.deploy else None
    rpath = spath + ("deploy", "resources")
    if res is not None:
        _side(ctx, res.limits, rpath + ("limits",), limits, gpus)
        _side(ctx, res.reservations, rpath + ("reservations",), requests, gpus)
    legacy = (("cpus", limits, "cpu", service.cpus), ("mem_limit", limits, "memory", service.mem_limit),
              ("mem_reservation", requests, "memory", service.mem_reservation))
    for key, side, name, value in legacy:
        if value is None or value == 0:
            continue
        if name in side:
            ctx.info("k8s-resource-override", f"{key} is overridden by deploy.resources", spath + (key,))
            continue
        side[name] = cpu_quantity(value) if name == "cpu" else memory_quantity(int(value))
    for i, d in enumerate(service.gpus):
        got = _gpu_count(ctx, d, spath + ("gpus", i))
        if got:
            gpus[got[0]] = gpus.get(got[0], 0) + got[1]
    for resource, n in sorted(gpus.items()):
        if n > 0:
            limits[resource] = n  # extended resources are asked for in limits (requests follow them)
    for name, parse in (("cpu", _cpu_value), ("memory", _mem_value)):
        if name in limits and name in requests and parse(requests[name]) > parse(limits[name]):
            ctx.warn("k8s-request-over-limit", f"the {name} reservation is above its limit, which Kubernetes "
                     "rejects: the reservation is left out", rpath + ("reservations",))
            del requests[name]
    out: dict[str, Any] = {}
    if limits:
        out["limits"] = dict(sorted(limits.items()))
    if requests:
        out["requests"] = dict(sorted(requests.items()))
    return out


def _cpu_value(q: str) -> float:
    return float(q[:-1]) / 1000 if q.endswith("m") else float(q)


def _mem_value(q: str) -> int:
    units = {"Ki": 1 << 10, "Mi": 1 << 20, "Gi": 1 << 30, "Ti": 1 << 40, "Pi": 1 << 50, "Ei": 1 << 60}
    return int(q[:-2]) * units[q[-2:]] if q[-2:] in units else int(q)


# -- security

def _user(ctx: Ctx, service: Service, spath: KeyPath, sc: dict[str, Any]) -> None:
    if not service.user:
        return
    user, _, group = service.user.partition(":")
    if _NUMERIC.match(user):
        sc["runAsUser"] = int(user)
    else:
        ctx.warn("k8s-user-name", f"user {user!r} is a name: Kubernetes needs a numeric uid (runAsUser); "
                 "the image's user is used", spath + ("user",))
    if group:
        if _NUMERIC.match(group):
            sc["runAsGroup"] = int(group)
        else:
            ctx.warn("k8s-user-name", f"group {group!r} is a name: Kubernetes needs a numeric gid (runAsGroup)",
                     spath + ("user",))


def _security_opt(ctx: Ctx, service: Service, spath: KeyPath, container: str, sc: dict[str, Any],
                  annotations: dict[str, str]) -> None:
    selinux: dict[str, str] = {}
    for i, opt in enumerate(service.security_opt):
        path = spath + ("security_opt", i)
        sep = "=" if "=" in opt and (":" not in opt or opt.index("=") < opt.index(":")) else ":"
        key, _, value = opt.partition(sep)
        if key == "no-new-privileges" and value in ("", "true"):
            sc["allowPrivilegeEscalation"] = False
        elif key == "no-new-privileges" and value == "false":
            sc["allowPrivilegeEscalation"] = True
        elif key == "seccomp" and value == "unconfined":
            sc["seccompProfile"] = {"type": "Unconfined"}
        elif key == "apparmor" and value:
            profile = "unconfined" if value == "unconfined" else f"localhost/{value}"
            annotations[f"container.apparmor.security.beta.kubernetes.io/{container}"] = profile
        elif key == "label" and value and value != "disable":
            part, _, v = value.partition(":")
            if part in ("user", "role", "type", "level") and v:
                selinux[part] = v
            else:
                ctx.warn("k8s-security-opt", f"security_opt {opt!r} has no Kubernetes equivalent", path)
        else:
            ctx.warn("k8s-security-opt", f"security_opt {opt!r} has no Kubernetes equivalent", path,
                     "a seccomp profile must be installed on the nodes and named with seccompProfile.localhostProfile"
                     if key == "seccomp" else None)
    if selinux:
        sc["seLinuxOptions"] = dict(sorted(selinux.items()))


def security_context(ctx: Ctx, service: Service, spath: KeyPath, container: str,
                     annotations: dict[str, str]) -> dict[str, Any]:
    sc: dict[str, Any] = {}
    _user(ctx, service, spath, sc)
    caps: dict[str, list[str]] = {}
    if service.cap_add:
        caps["add"] = [c.removeprefix("CAP_") for c in service.cap_add]
    if service.cap_drop:
        caps["drop"] = [c.removeprefix("CAP_") for c in service.cap_drop]
    if caps:
        sc["capabilities"] = caps
    if service.privileged:
        sc["privileged"] = True
    if service.read_only:
        sc["readOnlyRootFilesystem"] = True
    _security_opt(ctx, service, spath, container, sc, annotations)
    escalates = sc.get("privileged") or "SYS_ADMIN" in caps.get("add", [])
    if escalates and sc.get("allowPrivilegeEscalation") is False:
        ctx.warn("k8s-security-opt", "no-new-privileges cannot be combined with privileged or CAP_SYS_ADMIN in Kubernetes: "
                 "left out", spath + ("security_opt",))
        del sc["allowPrivilegeEscalation"]
    return dict(sorted(sc.items()))
