"""Services (one per Compose service, plus one per network alias), Ingresses and autoscalers."""

from __future__ import annotations

from typing import Any

from ...diagnostics import KeyPath
from ...model import Service
from .context import Ctx
from .hints import ServiceHints
from .names import object_name, port_name
from .ports import PortSpec


def service_type(ctx: Ctx, spath: KeyPath, hints: ServiceHints, ports: list[PortSpec]) -> str:
    """ClusterIP, NodePort, LoadBalancer or headless."""
    wanted = hints.service_type
    if wanted is None:
        return "ClusterIP" if ports else "headless"
    if wanted in ("NodePort", "LoadBalancer") and not ports:
        ctx.warn("k8s-service-type", f"a {wanted} Service needs ports, and this service has none: headless",
                 spath + ("x-kubernetes",))
        return "headless"
    return wanted


def _ports(ctx: Ctx, spath: KeyPath, ports: list[PortSpec], node_port: int | None, kind: str) -> list[dict[str, Any]]:
    out = []
    used: set[str] = set()
    for p in ports:
        name = p.name if p.name and p.name not in used else port_name(p.protocol, p.port)
        used.add(name)
        entry: dict[str, Any] = {"name": name, "port": p.port, "targetPort": p.target, "protocol": p.protocol}
        if p.app_protocol:
            entry["appProtocol"] = p.app_protocol
        out.append(entry)
    if node_port is not None:
        if kind not in ("NodePort", "LoadBalancer") or len(out) != 1:
            ctx.warn("k8s-node-port", "a fixed nodePort needs a NodePort or LoadBalancer Service with exactly one "
                     "port: left out", spath)
        else:
            out[0]["nodePort"] = node_port
    return out


def service_object(ctx: Ctx, name: str, kind: str, selector: dict[str, str], labels: dict[str, str],
                   ports: list[dict[str, Any]], annotations: dict[str, str]) -> dict[str, Any]:
    meta: dict[str, Any] = {"name": name, "labels": labels}
    if annotations:
        meta["annotations"] = dict(sorted(annotations.items()))
    spec: dict[str, Any] = {}
    if kind == "headless":
        spec["clusterIP"] = "None"
    else:
        spec["type"] = kind
    spec["selector"] = selector
    if ports:
        spec["ports"] = ports
    return {"apiVersion": "v1", "kind": "Service", "metadata": meta, "spec": spec}


def services_for(ctx: Ctx, service: Service, name: str, hints: ServiceHints, selector: dict[str, str],
                 labels: dict[str, str], ports: list[PortSpec], aliases: dict[str, KeyPath],
                 taken: set[str]) -> list[dict[str, Any]]:
    """The service's Service and one Service per alias other containers may use for it."""
    spath: KeyPath = ("services", service.name)
    kind = service_type(ctx, spath, hints, ports)
    if kind in ("ClusterIP", "headless") and any(p.published for p in service.ports):
        ctx.info("k8s-published-ports", f"published ports are reachable inside the cluster at {name}:<published "
                 "port>; set x-kubernetes.service.type to NodePort or LoadBalancer to reach them from outside",
                 spath + ("ports",))
    node_port = hints.node_port
    out = [service_object(ctx, name, kind, selector, labels, _ports(ctx, spath, ports, node_port, kind),
                          hints.service_annotations)]
    alias_kind = "headless" if kind == "headless" else "ClusterIP"
    for alias in sorted(aliases):
        alias_name = object_name(alias)
        if alias_name in taken:
            if alias_name != name:
                ctx.warn("k8s-alias-collision", f"alias {alias} would be the Service {alias_name}, which already "
                         "exists: no Service for it", aliases[alias])
            continue
        taken.add(alias_name)
        if alias_name != alias:
            ctx.warn("k8s-alias-renamed", f"alias {alias} is not a valid Service name: it resolves as {alias_name}",
                     aliases[alias])
        out.append(service_object(ctx, alias_name, alias_kind, selector, labels,
                                  _ports(ctx, spath, ports, None, alias_kind), {}))
    return out


def ingress_for(ctx: Ctx, service: Service, name: str, hints: ServiceHints, labels: dict[str, str],
                ports: list[PortSpec]) -> dict[str, Any] | None:
    ing = hints.ingress
    if ing is None:
        return None
    spath: KeyPath = ("services", service.name)
    tcp = [p for p in ports if p.protocol == "TCP"]
    if not tcp:
        ctx.warn("k8s-ingress-no-port", "an Ingress needs a TCP port on the Service: none made", spath)
        return None
    backend = {"service": {"name": name, "port": {"number": tcp[0].port}}}
    rules = []
    for host, path in ing.rules or [(None, "/")]:
        rule: dict[str, Any] = {}
        if host:
            rule["host"] = host
        rule["http"] = {"paths": [{"path": path, "pathType": "Prefix", "backend": backend}]}
        rules.append(rule)
    spec: dict[str, Any] = {}
    if ing.class_name:
        spec["ingressClassName"] = ing.class_name
    if ing.tls:
        tls: dict[str, Any] = {}
        hosts = sorted({h for h, _ in ing.rules if h})
        if hosts:
            tls["hosts"] = hosts
        if ing.tls_secret:
            tls["secretName"] = ing.tls_secret
        spec["tls"] = [tls]
    spec["rules"] = rules
    return {"apiVersion": "networking.k8s.io/v1", "kind": "Ingress", "metadata": {"name": name, "labels": labels},
            "spec": spec}


def hpa_for(ctx: Ctx, service: Service, name: str, kind: str, hints: ServiceHints,
            labels: dict[str, str]) -> dict[str, Any] | None:
    hpa = hints.hpa
    if hpa is None:
        return None
    spath: KeyPath = ("services", service.name)
    if kind not in ("Deployment", "StatefulSet"):
        ctx.warn("k8s-hpa-kind", f"a {kind} cannot be autoscaled: no HorizontalPodAutoscaler", spath)
        return None
    if hpa.min_replicas > hpa.max_replicas:
        ctx.warn("k8s-hpa-range", "hpa minimum above maximum: the maximum is raised to the minimum", spath)
    metrics = []
    cpu = hpa.cpu if hpa.cpu is not None or hpa.memory is not None else 50
    for resource, target in (("cpu", cpu), ("memory", hpa.memory)):
        if target is not None:
            metrics.append({"type": "Resource", "resource": {"name": resource, "target": {
                "type": "Utilization", "averageUtilization": target}}})
    return {"apiVersion": "autoscaling/v2", "kind": "HorizontalPodAutoscaler",
            "metadata": {"name": name, "labels": labels},
            "spec": {"scaleTargetRef": {"apiVersion": "apps/v1", "kind": kind, "name": name},
                     "minReplicas": hpa.min_replicas, "maxReplicas": max(hpa.min_replicas, hpa.max_replicas),
                     "metrics": metrics}}
