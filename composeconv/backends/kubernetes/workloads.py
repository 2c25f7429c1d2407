"""Workload objects: Deployment, StatefulSet, DaemonSet or Job, with replicas, rollout and restart policy."""

from __future__ import annotations

import math
from typing import Any

from ...diagnostics import KeyPath
from ...model import Project, Service
from ..common import restart_policy as split_restart
from .context import Ctx
from .hints import ServiceHints
from .options import CONTROLLERS

API_VERSIONS = {"Deployment": "apps/v1", "StatefulSet": "apps/v1", "DaemonSet": "apps/v1", "Job": "batch/v1"}


def choose_controller(ctx: Ctx, service: Service, hints: ServiceHints, completed_by: list[str]) -> str:
    """The workload kind: a hint, then the controller option, then deploy.mode, then how others wait for it."""
    spath: KeyPath = ("services", service.name)
    mode = service.deploy.mode if service.deploy else None
    chosen = hints.controller or ctx.options.controller
    if chosen:
        kind = CONTROLLERS.get(chosen.lower(), chosen) if chosen.islower() else chosen
        if mode and _mode_kind(mode) != kind:
            ctx.info("k8s-controller-override", f"deploy.mode {mode} is overridden by the controller {kind}",
                     spath + ("deploy", "mode"))
        return kind
    if mode:
        kind = _mode_kind(mode)
        if mode == "global-job":
            ctx.warn("k8s-global-job", "global-job (one run on every node) has no Kubernetes equivalent: "
                     "a Job that runs once", spath + ("deploy", "mode"))
        elif kind is None:
            ctx.warn("k8s-deploy-mode", f"unknown deploy.mode {mode}: a Deployment", spath + ("deploy", "mode"))
            return "Deployment"
        return kind
    if completed_by:
        ctx.info("k8s-job-inferred", f"{', '.join(completed_by)} wait for this service to complete "
                 "(service_completed_successfully), so it becomes a Job", spath)
        return "Job"
    return "Deployment"


def _mode_kind(mode: str) -> str | None:
    return {"replicated": "Deployment", "global": "DaemonSet", "replicated-job": "Job", "global-job": "Job"}.get(mode)


def completion_waiters(project: Project) -> dict[str, list[str]]:
    """service -> the services that wait for it with service_completed_successfully."""
    out: dict[str, list[str]] = {}
    for name in sorted(project.services):
        for dep, d in sorted(project.services[name].depends_on.items()):
            if d.condition == "service_completed_successfully":
                out.setdefault(dep, []).append(name)
    return out


def restart_policy(ctx: Ctx, service: Service, kind: str) -> tuple[str, int | None]:
    """The pod's restartPolicy for this kind, and a Job's backoffLimit."""
    spath: KeyPath = ("services", service.name)
    name, retries = split_restart(service.restart)
    policy = service.deploy.restart_policy if service.deploy else None
    if policy is not None:
        ppath = spath + ("deploy", "restart_policy")
        if policy.condition:
            name = {"any": "always", "none": "no", "on-failure": "on-failure"}.get(policy.condition, name)
        if policy.max_attempts is not None:
            retries = policy.max_attempts
        for key in ("delay", "window"):
            if getattr(policy, key) is not None:
                ctx.info("k8s-restart-timing", f"restart_policy.{key} has no Kubernetes equivalent (the kubelet "
                         "backs off exponentially)", ppath + (key,))
    if kind == "Job":
        if name == "no":
            return "Never", 0  # Compose does not run it again
        return "OnFailure", retries
    if name in ("no", "on-failure") and (service.restart is not None or (policy and policy.condition)):
        which = spath + (("deploy", "restart_policy", "condition") if policy and policy.condition else ("restart",))
        ctx.info("k8s-restart-always", f"restart {name}: the pods of a {kind} are always restarted; use the "
                 "controller hint `job` for a service that runs to completion", which)
    if retries is not None:
        which = spath + (("deploy", "restart_policy", "max_attempts") if policy and policy.max_attempts is not None
                         else ("restart",))
        ctx.info("k8s-restart-attempts", f"a {kind} restarts without limit: the retry count is only kept for Jobs",
                 which)
    return "Always", None


def _seconds(d: Any) -> int:
    return max(0, math.ceil(d.seconds))


def _rollout(ctx: Ctx, service: Service, kind: str, rwo_claim: bool) -> dict[str, Any] | None:
    spath: KeyPath = ("services", service.name, "deploy")
    deploy = service.deploy
    if deploy is not None and deploy.rollback_config is not None:
        ctx.info("k8s-rollback", "rollback_config has no Kubernetes equivalent (kubectl rollout undo uses the "
                 "rollout strategy)", spath + ("rollback_config",))
    uc = deploy.update_config if deploy else None
    if uc is None:
        if kind == "Deployment" and rwo_claim:
            return {"type": "Recreate"}  # a new pod cannot mount a ReadWriteOnce claim the old pod holds elsewhere
        return None
    upath = spath + ("update_config",)
    for key in ("delay", "failure_action", "max_failure_ratio"):
        if getattr(uc, key) is not None:
            ctx.info("k8s-update-config", f"update_config.{key} has no Kubernetes equivalent", upath + (key,))
    step: int | str = "100%" if uc.parallelism == 0 else (uc.parallelism or 1)
    start_first = uc.order == "start-first"
    if kind == "StatefulSet":
        if uc.parallelism not in (None, 1) or uc.order:
            ctx.info("k8s-update-config", "a StatefulSet updates one pod at a time, stopping it first",
                     upath + ("parallelism" if uc.parallelism not in (None, 1) else "order",))
        return {"type": "RollingUpdate"}
    if kind == "Job":
        ctx.info("k8s-update-config", "a Job is not updated in place", upath)
        return None
    rolling = {"maxSurge": step, "maxUnavailable": 0} if start_first else {"maxSurge": 0, "maxUnavailable": step}
    return {"type": "RollingUpdate", "rollingUpdate": rolling}


def workload(ctx: Ctx, service: Service, kind: str, name: str, metadata: dict[str, Any], selector: dict[str, str],
             template: dict[str, Any], rwo_claim: bool, backoff: int | None, service_name: str | None) -> dict[str, Any]:
    """The workload object, keys in conventional order."""
    spath: KeyPath = ("services", service.name)
    replicas = service.replicas
    spec: dict[str, Any] = {}
    strategy = _rollout(ctx, service, kind, rwo_claim)
    uc = service.deploy.update_config if service.deploy else None
    if kind in ("Deployment", "StatefulSet"):
        spec["replicas"] = replicas
        if kind == "StatefulSet":
            spec["serviceName"] = service_name or name
        spec["selector"] = {"matchLabels": selector}
        if strategy:
            spec["strategy" if kind == "Deployment" else "updateStrategy"] = strategy
        if uc is not None and uc.monitor is not None:
            spec["minReadySeconds"] = _seconds(uc.monitor)
    elif kind == "DaemonSet":
        if service.scale is not None or (service.deploy and service.deploy.replicas is not None):
            ctx.info("k8s-daemonset-replicas", "a DaemonSet runs one pod per node: replicas are left out",
                     spath + (("scale",) if service.scale is not None else ("deploy", "replicas")))
        spec["selector"] = {"matchLabels": selector}
        if strategy:
            spec["updateStrategy"] = strategy
        if uc is not None and uc.monitor is not None:
            spec["minReadySeconds"] = _seconds(uc.monitor)
    else:  # Job
        if replicas != 1:
            spec["completions"] = replicas
            spec["parallelism"] = replicas
        if backoff is not None:
            spec["backoffLimit"] = backoff
        if uc is not None and uc.monitor is not None:
            ctx.info("k8s-update-config", "update_config.monitor has no meaning for a Job",
                     spath + ("deploy", "update_config", "monitor"))
    if replicas == 0 and kind == "Job":
        spec["completions"] = 0
        spec["parallelism"] = 0
    spec["template"] = template
    return {"apiVersion": API_VERSIONS[kind], "kind": kind, "metadata": metadata, "spec": spec}
