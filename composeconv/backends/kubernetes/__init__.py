"""Compose to Kubernetes manifests: workloads, Services, claims, ConfigMaps and Secrets, validated and stable."""

from __future__ import annotations

from typing import Any

from ...model import Project, Service
from .. import ConvertOptions, ConvertResult
from .codes import DIAGNOSTIC_CODES
from .context import Ctx, ServiceInfo
from .depends import job_waiter_objects
from .hints import ServiceHints, project_hints, service_hints
from .keys import report_project_keys, report_service_keys
from .names import object_name, split_labels, standard_labels, selector_labels
from .options import read_options
from .order import output_files, sort_objects
from .pod import env_configmap, env_secret, pod_metadata, pod_spec
from .ports import service_ports
from .services import hpa_for, ingress_for, services_for
from .storage import claims, file_objects
from .workloads import choose_controller, completion_waiters, restart_policy, workload

__all__ = ["convert", "DIAGNOSTIC_CODES"]


def convert(project: Project, options: ConvertOptions) -> ConvertResult:
    """Convert a project into Kubernetes objects; pure: the same input gives the same bytes."""
    opts, option_diags = read_options(options)
    ctx = Ctx(project, opts, diagnostics=list(option_diags))
    namespace = _namespace(ctx)
    report_project_keys(ctx, project)
    phints = project_hints(ctx, project)
    hints = {name: service_hints(ctx, project.services[name], ("services", name)) for name in sorted(project.services)}
    primaries = _plan(ctx, project, hints)
    members: dict[str, list[str]] = {p: [p] for p in primaries}
    for name, info in sorted(ctx.services.items()):
        if info.pod_owner is not None:
            members[_root(ctx, name)].append(name)
    aliases = _aliases(ctx, project)
    taken = {info.name for info in ctx.services.values() if info.pod_owner is None}
    for name in primaries:
        _convert_service(ctx, project, name, members[name], hints, phints, aliases.get(name, {}), taken)
    ctx.objects.extend(claims(ctx, phints, hints))
    ctx.objects.extend(file_objects(ctx))
    if ctx.needs_job_waiter:
        ctx.objects.extend(job_waiter_objects(project.name))
    _unused(ctx, project)
    if namespace:
        for obj in ctx.objects:
            obj["metadata"]["namespace"] = namespace
        ctx.objects.append({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": namespace}})
    objects = sort_objects(ctx.objects)
    files = output_files(objects, opts.split, opts.format)
    return ConvertResult(files=files, diagnostics=tuple(ctx.diagnostics), objects=tuple(objects))


def _namespace(ctx: Ctx) -> str | None:
    ns = ctx.options.namespace
    if not ns:
        return None
    clean = object_name(ns)
    if clean != ns:
        ctx.warn("k8s-namespace-name", f"namespace {ns!r} is not a valid name: using {clean!r}")
    return clean


def _root(ctx: Ctx, name: str) -> str:
    """The service in whose pod the container of service `name` runs (itself unless it joins another pod)."""
    return _roots(ctx)[name]


def _roots(ctx: Ctx) -> dict[str, str]:
    """Every service's pod owner at the end of its network_mode chain, computed once per conversion."""
    roots = ctx.pod_roots
    if len(roots) != len(ctx.services):
        roots.clear()
        for start in ctx.services:
            chain = []
            name = start
            while name not in roots and ctx.services[name].pod_owner is not None:
                chain.append(name)
                name = ctx.services[name].pod_owner  # type: ignore[assignment]
            root = roots.get(name, name)
            roots[name] = root
            for member in chain:
                roots[member] = root
    return roots


def _break_cycles(ctx: Ctx) -> None:
    """Cut each cycle of network_mode: service references at its first member in name order.

    The loader rejects such cycles (they are dependency cycles); a model built by hand may have them.
    """
    state: dict[str, bool] = {}  # False while on the walk being followed, True once finished
    for start in sorted(ctx.services):
        walk = []
        name: str | None = start
        while name is not None and name not in state:
            state[name] = False
            walk.append(name)
            name = ctx.services[name].pod_owner
        if name is not None and state[name] is False:
            cycle = walk[walk.index(name):]
            ctx.services[min(cycle)].pod_owner = None
        for member in walk:
            state[member] = True
    ctx.pod_roots.clear()


def _plan(ctx: Ctx, project: Project, hints: dict[str, ServiceHints]) -> list[str]:
    """Name every service, find the pods they share, and choose each primary's workload kind."""
    owners: dict[str, str] = {}
    for name in sorted(project.services):
        svc = project.services[name]
        k8s = object_name(name)
        if k8s in owners:
            ctx.error("k8s-name-collision", f"service {name!r} would be named {k8s!r} in Kubernetes, like service "
                      f"{owners[k8s]!r}: it is not converted", ("services", name),
                      "rename one of the services")
            continue
        owners[k8s] = name
        if k8s != name.lower():
            ctx.warn("k8s-service-renamed", f"service {name!r} is named {k8s!r} in Kubernetes: other containers "
                     f"must use {k8s!r} to reach it", ("services", name))
        owner = None
        mode = svc.network_mode or ""
        if mode.startswith("service:"):
            target = mode[len("service:"):]
            if target in project.services and target != name:
                owner = target
                ctx.info("k8s-joined-pod", f"network_mode: service:{target}: this container runs in the pod of "
                         f"{target}", ("services", name, "network_mode"))
            else:
                ctx.warn("k8s-network-service", f"network_mode refers to {target}, which is not converted",
                         ("services", name, "network_mode"))
        hc = svc.healthcheck
        ctx.services[name] = ServiceInfo(name, k8s, pod_owner=owner,
                                         has_healthcheck=hc is not None and not hc.disable and bool(hc.test)
                                         and hc.test[0] != "NONE")
    for name, info in ctx.services.items():  # a service joined to a dropped one keeps its own pod
        if info.pod_owner is not None and info.pod_owner not in ctx.services:
            info.pod_owner = None
    _break_cycles(ctx)
    waiters = completion_waiters(project)
    primaries = sorted(n for n, i in ctx.services.items() if i.pod_owner is None)
    for name in primaries:
        info = ctx.services[name]
        info.controller = choose_controller(ctx, project.services[name], hints[name], waiters.get(name, []))
    for name, info in ctx.services.items():
        if info.pod_owner is not None:
            info.controller = ctx.services[_root(ctx, name)].controller
    groups: dict[str, list[str]] = {}
    for n in sorted(ctx.services):
        groups.setdefault(_root(ctx, n), []).append(n)
    for name in primaries:
        info = ctx.services[name]
        group = groups[name]
        ports = [p for n in group for p in service_ports(ctx, project.services[n], ("services", n), report=False)]
        svc = project.services[name]
        wanted = hints[name].service_type
        dnsrr = svc.deploy is not None and svc.deploy.endpoint_mode == "dnsrr"
        info.headless = (wanted == "headless") or (wanted is None and (not ports or dnsrr))
        if dnsrr:
            ctx.info("k8s-endpoint-mode", "endpoint_mode dnsrr: the Service is headless, so its name resolves to "
                     "the pods' addresses", ("services", name, "deploy", "endpoint_mode"))
        info.first_tcp_port = next((p.port for p in ports if p.protocol == "TCP"), None)
    return primaries


def _aliases(ctx: Ctx, project: Project) -> dict[str, dict[str, tuple]]:
    """primary service -> {alias: key path}: network aliases, container_name and link aliases."""
    out: dict[str, dict[str, tuple]] = {}
    for name in sorted(project.services):
        if name not in ctx.services:
            continue
        svc = project.services[name]
        root = _root(ctx, name)
        for net in sorted(svc.networks):
            sn = svc.networks[net]
            for i, alias in enumerate(sn.aliases if sn else ()):
                if alias != name:
                    out.setdefault(root, {}).setdefault(alias, ("services", name, "networks", net, "aliases", i))
        if svc.container_name and svc.container_name != name:
            out.setdefault(root, {}).setdefault(svc.container_name, ("services", name, "container_name"))
        for i, link in enumerate(svc.links):
            target, _, alias = link.partition(":")
            path = ("services", name, "links", i)
            if target in ctx.services and alias and alias != target:
                out.setdefault(_root(ctx, target), {}).setdefault(alias, path)
            else:
                ctx.info("k8s-link", "every Service is reachable by its name: a link needs nothing else", path)
        nets = [n for n in svc.networks if n != "default"]
        if nets:
            ctx.info("k8s-networks", f"pods share one flat network: the isolation of the networks "
                     f"{', '.join(sorted(nets))} is not reproduced (write NetworkPolicies for it)",
                     ("services", name, "networks"))
    return out


def _labels_split(ctx: Ctx, labels: dict[str, str], path: tuple) -> tuple[dict[str, str], dict[str, str]]:
    good, notes, bad = split_labels(labels)
    for k in bad:
        ctx.warn("k8s-label-key", f"label {k!r} is not a valid Kubernetes label or annotation key: dropped",
                 path + (k,))
    return good, notes


def _convert_service(ctx: Ctx, project: Project, name: str, group: list[str], hints: dict[str, ServiceHints],
                     phints: Any, aliases: dict[str, tuple], taken: set[str]) -> None:
    svc: Service = project.services[name]
    info = ctx.services[name]
    spath = ("services", name)
    for member in group:
        report_service_keys(ctx, project.services[member])
    selector = selector_labels(project.name, info.name)
    labels = standard_labels(project.name, info.name)
    ports = [p for m in group for p in service_ports(ctx, project.services[m], ("services", m), report=(m == name))]
    for m in group[1:]:
        service_ports(ctx, project.services[m], ("services", m))  # reports its port keys
    h = hints[name]
    if h.service_type is None and info.headless and ports:
        h.service_type = "headless"
    ctx.objects.extend(services_for(ctx, svc, info.name, h, selector, labels, ports, aliases, taken))
    kind = info.controller
    restart, backoff = restart_policy(ctx, svc, kind)
    multi_pod = kind == "DaemonSet" or svc.replicas > 1 or (h.hpa is not None)
    services = [project.services[m] for m in group]
    names = [ctx.services[m].name for m in group]
    spec, extra_annotations = pod_spec(ctx, services, names, hints, phints, kind, restart, selector, multi_pod)
    _pod_extras(ctx, svc, spath, spec)
    template_meta = pod_metadata(ctx, svc, spath, h, {**labels, **selector}, extra_annotations)
    template = {"metadata": template_meta, "spec": spec}
    deploy_labels = svc.deploy.labels if svc.deploy else {}
    good, notes = _labels_split(ctx, deploy_labels, spath + ("deploy", "labels"))
    meta: dict[str, Any] = {"name": info.name, "labels": {**good, **labels}}
    if notes:
        meta["annotations"] = notes
    rwo = any(v.get("persistentVolumeClaim") for v in spec.get("volumes", []))
    ctx.objects.append(workload(ctx, svc, kind, info.name, meta, selector, template, rwo, backoff,
                                info.name))
    ing = ingress_for(ctx, svc, info.name, h, labels, ports)
    if ing:
        ctx.objects.append(ing)
    hpa = hpa_for(ctx, svc, info.name, kind, h, labels)
    if hpa:
        ctx.objects.append(hpa)
    for m in group:
        for obj in (env_configmap(ctx, project.services[m], ctx.services[m].name),
                    env_secret(ctx, project.services[m], ctx.services[m].name)):
            if obj:
                obj["metadata"]["labels"] = labels
                ctx.objects.append(obj)


def _pod_extras(ctx: Ctx, svc: Service, spath: tuple, spec: dict[str, Any]) -> None:
    if svc.init is True:
        spec["shareProcessNamespace"] = True
        ctx.info("k8s-init", "init: true: the pod shares one process namespace, so its pause process (PID 1) "
                 "reaps zombies", spath + ("init",))
    elif svc.init is False:
        ctx.info("k8s-init", "init: false is what Kubernetes does anyway", spath + ("init",))
    if svc.runtime:
        spec["runtimeClassName"] = object_name(svc.runtime)
        ctx.info("k8s-runtime", f"runtime {svc.runtime}: the cluster must have a RuntimeClass named "
                 f"{object_name(svc.runtime)}", spath + ("runtime",))


def _unused(ctx: Ctx, project: Project) -> None:
    used = set(ctx.volume_users)
    for key in sorted(project.volumes):
        if key not in used:
            ctx.info("k8s-unused", f"volume {key} is not mounted by any converted service: no claim", ("volumes", key))
    for kind, table, seen in (("configs", project.configs, ctx.configs_used), ("secrets", project.secrets,
                                                                                ctx.secrets_used)):
        for key in sorted(table):
            if key not in seen:
                ctx.info("k8s-unused", f"{kind[:-1]} {key} is not used by any converted service", (kind, key))

