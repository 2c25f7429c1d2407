"""Compose ports and expose as container ports and Service ports."""

from __future__ import annotations


from ...diagnostics import KeyPath
from ...model import Service
from ..common import expand_published
from .context import Ctx
from ...records import record
from ...lazyre import lazy

PROTOCOLS = {"tcp": "TCP", "udp": "UDP", "sctp": "SCTP"}
_EXPOSE = lazy(r"^(\d+)(?:-(\d+))?(?:/(\w+))?$")
_IANA_NAME = lazy(r"^[a-z0-9]([a-z0-9-]*[a-z0-9])?$")
MAX_RANGE = 1000  # a bigger range is surely a mistake, and would make an enormous Service


@record(slots=False)
class PortSpec:
    """One Service port: port is what clients connect to, target what the container listens on."""

    port: int
    target: int
    protocol: str
    name: str | None = None
    app_protocol: str | None = None


def _protocol(ctx: Ctx, value: str | None, path: KeyPath) -> str:
    proto = PROTOCOLS.get((value or "tcp").lower())
    if proto is None:
        ctx.warn("k8s-port-protocol", f"protocol {value} is not tcp, udp or sctp: using TCP", path)
        return "TCP"
    return proto


def service_ports(ctx: Ctx, service: Service, spath: KeyPath, report: bool = True) -> list[PortSpec]:
    """The ports of the service's Service: ports first, then expose; duplicates are merged."""
    out: list[PortSpec] = []
    seen: set[tuple[int, str]] = set()
    say = ctx if report else None
    for i, p in enumerate(service.ports):
        path = spath + ("ports", i)
        if p.target is None:
            continue
        proto = _protocol(ctx, p.protocol, path + ("protocol",)) if say else PROTOCOLS.get((p.protocol or "tcp").lower(), "TCP")
        if say is not None:
            if p.host_ip:
                ctx.info("k8s-port-host-ip", f"host_ip {p.host_ip}: a Service listens on its cluster address, not on a "
                         "host interface", path + ("host_ip",))
            if p.mode == "host":
                ctx.info("k8s-port-mode", "mode: host publishes on the node in Swarm; here the port is on the Service",
                         path + ("mode",))
            if p.published and "-" in p.published and len(expand_published(p)) > MAX_RANGE:
                ctx.warn("k8s-port-range", f"published range {p.published} is too large: only the target is used",
                         path + ("published",))
        pairs = expand_published(p)
        if len(pairs) > MAX_RANGE:
            pairs = [(None, p.target)]
        name = p.name if p.name and len(p.name) <= 15 and _IANA_NAME.match(p.name) and len(pairs) == 1 else None
        if say is not None and p.name and name is None:
            ctx.info("k8s-port-name", f"port name {p.name!r} is not a valid Kubernetes port name (at most 15 "
                     "lowercase letters, digits and '-'): a generated name is used", path + ("name",))
        for published, target in pairs:
            port = published if published else target
            if port is None or target is None or (port, proto) in seen:
                continue
            seen.add((port, proto))
            out.append(PortSpec(port, target, proto, name, p.app_protocol))
    for i, e in enumerate(service.expose):
        m = _EXPOSE.match(e.strip())
        path = spath + ("expose", i)
        if not m:
            if say is not None:
                ctx.warn("k8s-expose", f"expose entry {e!r} is not a port or range: skipped", path)
            continue
        lo = int(m.group(1))
        hi = int(m.group(2)) if m.group(2) else lo
        proto = _protocol(ctx, m.group(3), path) if say else PROTOCOLS.get((m.group(3) or "tcp").lower(), "TCP")
        if hi - lo >= MAX_RANGE or hi < lo:
            if say is not None:
                ctx.warn("k8s-port-range", f"expose range {e} is too large: only {lo} is used", path)
            hi = lo
        for port in range(lo, hi + 1):
            if (port, proto) not in seen and 0 < port < 65536:
                seen.add((port, proto))
                out.append(PortSpec(port, port, proto))
    return [p for p in out if 0 < p.port < 65536 and 0 < p.target < 65536]


def container_ports(specs: list[PortSpec]) -> list[dict[str, object]]:
    """containerPorts for the targets of the Service ports, each (port, protocol) once."""
    seen: set[tuple[int, str]] = set()
    out: list[dict[str, object]] = []
    for s in sorted(specs, key=lambda s: (s.target, s.protocol)):
        if (s.target, s.protocol) in seen:
            continue
        seen.add((s.target, s.protocol))
        out.append({"containerPort": s.target, "protocol": s.protocol})
    return out
