"""Healthchecks (and kompose probe labels) as readiness, liveness and startup probes."""

from __future__ import annotations

import math
from typing import Any

from ...diagnostics import KeyPath
from ...model import Service
from ...model.types import Healthcheck
from ...model.values import Duration
from .context import Ctx
from .hints import ProbeHint, ServiceHints

# Docker's defaults for a healthcheck that leaves these out
DEFAULT_INTERVAL = 30.0
DEFAULT_TIMEOUT = 30.0
DEFAULT_RETRIES = 3
DEFAULT_START_INTERVAL = 5.0


def whole_seconds(d: Duration | None, default: float) -> int:
    """Seconds rounded up, at least 1: probes count in whole seconds."""
    secs = d.seconds if d is not None else default
    return max(1, math.ceil(secs))


def health_command(test: tuple[str, ...]) -> list[str] | None:
    """The exec command of a healthcheck test, or None when it has none (NONE, empty, bad form)."""
    if not test:
        return None
    kind, args = test[0], list(test[1:])
    if kind == "CMD" and args:
        return args
    if kind == "CMD-SHELL" and args:
        return ["sh", "-c", " ".join(args)]
    return None


def is_disabled(hc: Healthcheck | None) -> bool:
    return hc is None or hc.disable or (bool(hc.test) and hc.test[0] == "NONE")


def _timing(interval: Duration | None, timeout: Duration | None, retries: int | None) -> dict[str, int]:
    return {
        "periodSeconds": whole_seconds(interval, DEFAULT_INTERVAL),
        "timeoutSeconds": whole_seconds(timeout, DEFAULT_TIMEOUT),
        "failureThreshold": max(1, retries if retries is not None else DEFAULT_RETRIES),
    }


def _handler_from_hint(h: ProbeHint) -> dict[str, Any] | None:
    if h.test:
        return {"exec": {"command": list(h.test)}}
    if h.http_get_port:
        return {"httpGet": {"path": h.http_get_path or "/", "port": h.http_get_port}}
    if h.tcp_port:
        return {"tcpSocket": {"port": h.tcp_port}}
    return None


def probes(ctx: Ctx, service: Service, spath: KeyPath, hints: ServiceHints) -> dict[str, dict[str, Any]]:
    """readinessProbe, livenessProbe and startupProbe of the service's container, in that key order."""
    out: dict[str, dict[str, Any]] = {}
    hc = service.healthcheck
    hpath = spath + ("healthcheck",)
    handler: dict[str, Any] | None = None
    if hc is not None:
        if hc.disable or (hc.test and hc.test[0] == "NONE"):
            which = "disable" if hc.disable else "test"
            ctx.info("k8s-healthcheck-disabled", "healthcheck disabled: no probes (Kubernetes never runs an "
                     "image's HEALTHCHECK, so there is nothing to turn off)", hpath + (which,))
        else:
            command = health_command(hc.test)
            if command is None:
                ctx.warn("k8s-healthcheck-no-test", "healthcheck has no test of its own (it would use the image's "
                         "HEALTHCHECK, which Kubernetes never reads): no probes", hpath + ("test",))
            else:
                handler = {"exec": {"command": command}}
    timing = _timing(hc.interval if hc else None, hc.timeout if hc else None, hc.retries if hc else None)
    ready_hint = hints.readiness
    if ready_hint is not None and not ready_hint.disable and _handler_from_hint(ready_hint) is not None:
        out["readinessProbe"] = {**_handler_from_hint(ready_hint),  # type: ignore[dict-item]
                                 **_timing(ready_hint.interval, ready_hint.timeout, ready_hint.retries)}
        if ready_hint.start_period is not None:
            out["readinessProbe"] = {**out["readinessProbe"],
                                     "initialDelaySeconds": whole_seconds(ready_hint.start_period, 0)}
    elif handler is not None and not (ready_hint is not None and ready_hint.disable):
        out["readinessProbe"] = {**handler, **timing}
    live_handler = handler
    if hints.liveness is not None and _handler_from_hint(hints.liveness) is not None:
        live_handler = _handler_from_hint(hints.liveness)
    if live_handler is not None and ctx.options.liveness_probes:
        out["livenessProbe"] = {**live_handler, **timing}
    if handler is not None and hc is not None:
        if hc.start_period is not None and hc.start_period.nanoseconds > 0:
            period = whole_seconds(hc.start_interval, DEFAULT_START_INTERVAL)
            tries = math.ceil(hc.start_period.seconds / period) + timing["failureThreshold"]
            out["startupProbe"] = {**handler, "periodSeconds": period, "timeoutSeconds": timing["timeoutSeconds"],
                                   "failureThreshold": tries}
        elif hc.start_interval is not None:
            ctx.info("k8s-healthcheck-start-interval", "start_interval only applies during start_period, "
                     "which is not set", hpath + ("start_interval",))
    return out
