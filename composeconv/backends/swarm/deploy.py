"""The deploy section of a Swarm service, with the container-level keys Swarm expresses there."""

from __future__ import annotations

from typing import Any

from ...diagnostics import KeyPath
from ...model import Service
from ...model.types import Deploy, Placement, Resource, RestartPolicy, UpdateConfig
from ...model.values import float32_repr
from ..common import restart_policy
from .context import Context
from .handling import report_rest
from .values import cpus, duration, size

SERVICE_MODES = ("replicated", "global", "replicated-job", "global-job")
JOB_MODES = ("replicated-job", "global-job")
UPDATE_ORDERS = ("start-first", "stop-first")
# Compose's restart values and the Swarm restart condition each becomes
RESTART_CONDITIONS = {"no": "none", "on-failure": "on-failure", "always": "any", "unless-stopped": "any"}
DEFAULT_CPU_PERIOD_US = 100_000


def convert_deploy(ctx: Context, svc: Service, path: KeyPath) -> dict[str, Any]:
    """The deploy mapping of one service (empty when there is nothing to say)."""
    d = svc.deploy or Deploy()
    p = path + ("deploy",)
    out: dict[str, Any] = {}

    mode = d.mode
    if mode is not None:
        if mode not in SERVICE_MODES:
            ctx.warn("swarm-invalid-value", f"deploy mode {mode!r} is not one of {', '.join(SERVICE_MODES)}; "
                     "removed (Swarm runs the service replicated)", p + ("mode",))
            mode = None
        else:
            out["mode"] = mode
            if mode in JOB_MODES:
                ctx.info("swarm-requires-cli", f"deploy mode {mode} needs docker CLI 23.0 or later to deploy",
                         p + ("mode",))
    _replicas(ctx, svc, d, mode, out, path)
    if d.endpoint_mode:
        ctx.need((3, 2), "deploy.endpoint_mode")
        out["endpoint_mode"] = d.endpoint_mode
    if d.labels:
        out["labels"] = dict(d.labels)
    for key, cfg, since in (("update_config", d.update_config, (3, 0)), ("rollback_config", d.rollback_config, (3, 7))):
        if cfg is not None:
            ctx.need(since, f"deploy.{key}")
            out[key] = _update_config(ctx, cfg, p + (key,))
    resources = _resources(ctx, svc, d, p)
    if resources:
        out["resources"] = resources
    restart = _restart_policy(ctx, svc, d.restart_policy, path)
    if restart is not None:
        out["restart_policy"] = restart
    placement = _placement(ctx, d.placement, p + ("placement",))
    if placement:
        out["placement"] = placement
    report_rest(ctx, d, p)
    return out


def _replicas(ctx: Context, svc: Service, d: Deploy, mode: str | None, out: dict[str, Any], path: KeyPath) -> None:
    replicas, where = d.replicas, path + ("deploy", "replicas")
    if svc.scale is not None:
        # Compose runs `scale` containers when both are given, so the stack does the same.
        if d.replicas is not None and d.replicas != svc.scale:
            ctx.warn("swarm-conflict", f"scale {svc.scale} and deploy.replicas {d.replicas} differ; "
                     f"replicas set to {svc.scale} as Compose runs", path + ("scale",))
        replicas, where = svc.scale, path + ("scale",)
    if replicas is None:
        return
    if mode in ("global", "global-job"):
        ctx.warn("swarm-invalid-value", f"replicas {replicas} removed: Swarm rejects replicas with mode {mode}", where)
        return
    out["replicas"] = replicas


def _update_config(ctx: Context, cfg: UpdateConfig, path: KeyPath) -> dict[str, Any]:
    out: dict[str, Any] = {}
    if cfg.parallelism is not None:
        out["parallelism"] = cfg.parallelism
    if cfg.delay is not None:
        out["delay"] = duration(cfg.delay)
    if cfg.failure_action:
        out["failure_action"] = cfg.failure_action
    if cfg.monitor is not None:
        out["monitor"] = duration(cfg.monitor)
    if cfg.max_failure_ratio is not None:
        out["max_failure_ratio"] = float32_repr(cfg.max_failure_ratio)
    if cfg.order:
        if cfg.order in UPDATE_ORDERS:
            ctx.need((3, 4), "update_config.order")
            out["order"] = cfg.order
        else:
            ctx.warn("swarm-invalid-value", f"order {cfg.order!r} is not start-first or stop-first; removed",
                     path + ("order",))
    report_rest(ctx, cfg, path)
    return out


def _merge(ctx: Context, side: dict[str, Any], key: str, value: Any, text: str, deploy_path: KeyPath,
           source: KeyPath) -> None:
    """Put a service-level resource into deploy.resources unless deploy already says otherwise."""
    if key in side:
        if side[key] != value:
            ctx.warn("swarm-conflict", f"{source[-1]} ({text}) differs from {'.'.join(map(str, deploy_path))}; "
                     "the deploy value is kept", source)
        return
    side[key] = value


def _resource(ctx: Context, r: Resource | None, path: KeyPath, limits: bool) -> dict[str, Any]:
    out: dict[str, Any] = {}
    if r is None:
        return out
    if r.cpus is not None:
        out["cpus"] = cpus(r.cpus)
    if r.memory is not None:
        out["memory"] = size(r.memory)
    if r.pids is not None:
        if limits:
            ctx.need((3, 9), "deploy.resources.limits.pids")
            out["pids"] = r.pids
        else:
            ctx.warn("swarm-unsupported", "pids removed: Swarm reserves no process ids", path + ("pids",))
    if r.generic_resources:
        if limits:
            ctx.warn("swarm-unsupported", "generic_resources removed: Swarm accepts them as reservations only",
                     path + ("generic_resources",))
        else:
            ctx.need((3, 5), "deploy.resources.reservations.generic_resources")
            out["generic_resources"] = _generic(ctx, r, path)
    report_rest(ctx, r, path)
    return out


def _generic(ctx: Context, r: Resource, path: KeyPath) -> list[dict[str, Any]]:
    items: list[dict[str, Any]] = []
    for i, g in enumerate(r.generic_resources):
        item: dict[str, Any] = {}
        spec = g.discrete_resource_spec
        if spec is not None:
            item["discrete_resource_spec"] = {"kind": spec.kind, "value": spec.value}
            report_rest(ctx, spec, path + ("generic_resources", i, "discrete_resource_spec"))
        report_rest(ctx, g, path + ("generic_resources", i))
        items.append(item)
    return items


def _resources(ctx: Context, svc: Service, d: Deploy, path: KeyPath) -> dict[str, Any]:
    res = d.resources
    rp = path + ("resources",)
    limits = _resource(ctx, res.limits, rp + ("limits",), True)
    reservations = _resource(ctx, res.reservations, rp + ("reservations",), False)
    report_rest(ctx, res, rp)
    service_path = path[:-1]
    lp = ("deploy", "resources", "limits")
    if svc.cpus is not None:
        _merge(ctx, limits, "cpus", cpus(svc.cpus), cpus(svc.cpus), lp + ("cpus",), service_path + ("cpus",))
    if svc.cpu_quota is not None:
        period = svc.cpu_period or DEFAULT_CPU_PERIOD_US
        value = cpus(svc.cpu_quota / period)
        _merge(ctx, limits, "cpus", value, f"{svc.cpu_quota}/{period}", lp + ("cpus",), service_path + ("cpu_quota",))
    elif svc.cpu_period is not None:
        ctx.warn("swarm-unsupported", f"cpu_period {svc.cpu_period} removed: without cpu_quota it sets no limit",
                 service_path + ("cpu_period",))
    if svc.mem_limit is not None:
        _merge(ctx, limits, "memory", size(svc.mem_limit), size(svc.mem_limit), lp + ("memory",),
               service_path + ("mem_limit",))
    if svc.pids_limit is not None:
        ctx.need((3, 9), "deploy.resources.limits.pids")
        _merge(ctx, limits, "pids", svc.pids_limit, str(svc.pids_limit), lp + ("pids",),
               service_path + ("pids_limit",))
    if svc.mem_reservation is not None:
        _merge(ctx, reservations, "memory", size(svc.mem_reservation), size(svc.mem_reservation),
               ("deploy", "resources", "reservations", "memory"), service_path + ("mem_reservation",))
    out: dict[str, Any] = {}
    if limits:
        out["limits"] = limits
    if reservations:
        out["reservations"] = reservations
    return out


def _restart_policy(ctx: Context, svc: Service, policy: RestartPolicy | None, path: KeyPath) -> dict[str, Any] | None:
    if policy is not None:
        if svc.restart:
            ctx.info("swarm-no-effect", f"restart {svc.restart!r} removed: deploy.restart_policy is set and wins",
                     path + ("restart",))
        p = path + ("deploy", "restart_policy")
        out: dict[str, Any] = {}
        if policy.condition:
            out["condition"] = policy.condition
        if policy.delay is not None:
            out["delay"] = duration(policy.delay)
        if policy.max_attempts is not None:
            out["max_attempts"] = policy.max_attempts
        if policy.window is not None:
            out["window"] = duration(policy.window)
        report_rest(ctx, policy, p)
        return out
    if not svc.restart:
        return None
    name, retries = restart_policy(svc.restart)
    condition = RESTART_CONDITIONS.get(name)
    if condition is None:
        ctx.warn("swarm-invalid-value", f"restart {svc.restart!r} is not a restart policy; removed", path + ("restart",))
        return None
    out = {"condition": condition}
    if retries:
        out["max_attempts"] = retries
    return out


def _placement(ctx: Context, placement: Placement, path: KeyPath) -> dict[str, Any]:
    out: dict[str, Any] = {}
    if placement.constraints:
        out["constraints"] = list(placement.constraints)
    if placement.preferences:
        ctx.need((3, 3), "deploy.placement.preferences")
        prefs = []
        for i, pref in enumerate(placement.preferences):
            prefs.append({"spread": pref.spread} if pref.spread else {})
            report_rest(ctx, pref, path + ("preferences", i))
        out["preferences"] = prefs
    if placement.max_replicas_per_node is not None:
        ctx.need((3, 8), "deploy.placement.max_replicas_per_node")
        out["max_replicas_per_node"] = placement.max_replicas_per_node
    report_rest(ctx, placement, path)
    return out
