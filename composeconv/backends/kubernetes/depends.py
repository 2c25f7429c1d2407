"""depends_on as init containers that wait until each dependency is there, ready or complete."""

from __future__ import annotations

from typing import Any

from ...diagnostics import KeyPath
from ...model import Service
from ..common import dns1123_label
from .context import Ctx, ServiceInfo
from .names import object_name, project_labels

POD_NAMESPACE_ENV = {"name": "POD_NAMESPACE", "valueFrom": {"fieldRef": {"fieldPath": "metadata.namespace"}}}
SLEEP = 2


def job_waiter_name(project: str) -> str:
    """The ServiceAccount (and Role, RoleBinding) that may watch Jobs, for the completion waits."""
    return object_name(f"{project}-job-waiter" if project else "job-waiter")


def _target(ctx: Ctx, dep: str) -> ServiceInfo:
    info = ctx.services[dep]
    while info.pod_owner is not None and info.pod_owner in ctx.services:
        info = ctx.services[info.pod_owner]
    return info


def _loop(check: str, dep: str, limit: int | None) -> str:
    # `$$` is Kubernetes' escape for `$`; `$(POD_NAMESPACE)` in check is meant to be expanded by it.
    if limit is None:
        return f"until {check}; do echo 'waiting for {dep}'; sleep {SLEEP}; done"
    return (f"i=0; until {check}; do i=$$((i+{SLEEP})); if [ \"$$i\" -ge {limit} ]; then "
            f"echo '{dep} is not ready after {limit} s; starting anyway'; exit 0; fi; "
            f"echo 'waiting for {dep}'; sleep {SLEEP}; done")


def init_containers(ctx: Ctx, service: Service, spath: KeyPath, pod_members: set[str]) -> list[dict[str, Any]]:
    """The init containers for a service's depends_on, in dependency-name order."""
    out: list[dict[str, Any]] = []
    for dep in sorted(service.depends_on):
        d = service.depends_on[dep]
        dpath = spath + ("depends_on", dep)
        condition = d.condition or "service_started"
        if dep in pod_members:
            ctx.info("k8s-depends-same-pod", f"{dep} runs in the same pod (network_mode: service); the containers "
                     "of a pod start together, so there is no wait", dpath)
            continue
        if d.restart:
            ctx.info("k8s-depends-restart", f"restart: true (restart {service.name} when {dep} restarts) has no "
                     "Kubernetes equivalent; the wait only happens when the pod starts", dpath + ("restart",))
        if dep not in ctx.services:
            level = ctx.info if not d.required else ctx.warn
            level("k8s-depends-missing", f"{dep} is not part of the converted project: nothing to wait for", dpath)
            continue
        target = _target(ctx, dep)
        limit = None if d.required else ctx.options.optional_wait_seconds
        if not d.required:
            ctx.info("k8s-depends-optional", f"required: false: waits at most {ctx.options.optional_wait_seconds} s "
                     f"for {dep}, then starts anyway", dpath + ("required",))
        if condition == "service_completed_successfully":
            if ctx.services[dep].controller == "Job":
                ctx.needs_job_waiter = True
                out.append({
                    "name": dns1123_label(f"wait-for-{dep}"),
                    "image": ctx.options.kubectl_image,
                    "command": ["kubectl", "wait", "--for=condition=complete", "--timeout=-1s",
                                f"job/{ctx.services[dep].name}"],
                })
                continue
            ctx.warn("k8s-depends-not-job", f"{dep} is a {ctx.services[dep].controller}, which never completes; "
                     "waiting for it to be ready instead", dpath + ("condition",))
        if condition == "service_healthy" and not ctx.services[dep].has_healthcheck:
            ctx.warn("k8s-depends-no-healthcheck", f"{dep} has no healthcheck, so it has no readiness probe: "
                     "the wait ends as soon as its container is running", dpath + ("condition",))
        host = f"{target.name}.$(POD_NAMESPACE).svc.{ctx.options.cluster_domain}"
        if target.first_tcp_port is not None and not target.headless:
            check = f"nc -z -w 2 {host} {target.first_tcp_port}"
        else:
            check = f"nslookup {host} >/dev/null 2>&1"
            if not target.headless:
                ctx.warn("k8s-depends-dns-only", f"{dep} has only UDP/SCTP ports: the wait only checks that its "
                         "Service name resolves, not that a pod is ready", dpath)
        out.append({
            "name": dns1123_label(f"wait-for-{dep}"),
            "image": ctx.options.wait_image,
            "command": ["sh", "-c", _loop(check, dep, limit)],
            "env": [POD_NAMESPACE_ENV],
        })
    return out


def job_waiter_objects(project: str) -> list[dict[str, Any]]:
    """ServiceAccount, Role and RoleBinding that let the completion waits read Jobs."""
    name = job_waiter_name(project)
    meta = {"name": name, "labels": project_labels(project)}
    return [
        {"apiVersion": "v1", "kind": "ServiceAccount", "metadata": dict(meta)},
        {"apiVersion": "rbac.authorization.k8s.io/v1", "kind": "Role", "metadata": dict(meta),
         "rules": [{"apiGroups": ["batch"], "resources": ["jobs"], "verbs": ["get", "list", "watch"]}]},
        {"apiVersion": "rbac.authorization.k8s.io/v1", "kind": "RoleBinding", "metadata": dict(meta),
         "roleRef": {"apiGroup": "rbac.authorization.k8s.io", "kind": "Role", "name": name},
         "subjects": [{"kind": "ServiceAccount", "name": name}]},
    ]
