"""The pod of a service: its containers and the pod-level settings (network, DNS, hosts, placement)."""

from __future__ import annotations

import base64
import math
from typing import Any

from ...diagnostics import KeyPath
from ...model import Service
from ..common import dns1123_label
from .container import command_and_args, environment, image_of, pull_policy, resources, security_context
from .context import Ctx
from .depends import POD_NAMESPACE_ENV, init_containers, job_waiter_name
from .hints import ProjectHints, ServiceHints
from .names import data_key, object_name, split_labels
from .ports import container_ports, service_ports
from .probes import probes
from .storage import MountBuilder, PodVolumes
from ...lazyre import lazy

_LABEL_CONSTRAINT = lazy(r"^\s*([\w.\-/]+)\s*(==|!=)\s*(.+?)\s*$")
_ARCH = {"x86_64": "amd64", "amd64": "amd64", "aarch64": "arm64", "arm64": "arm64", "armv7l": "arm", "arm": "arm",
         "i386": "386", "386": "386", "ppc64le": "ppc64le", "s390x": "s390x", "riscv64": "riscv64"}
_DNS_LABEL = lazy(r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?$")


def container_spec(ctx: Ctx, service: Service, spath: KeyPath, name: str, hints: ServiceHints,
                   project_hints: ProjectHints, volumes: PodVolumes, multi_pod: bool, owner: str,
                   annotations: dict[str, str]) -> dict[str, Any]:
    """One container, with its keys in the order kubectl prints them."""
    c: dict[str, Any] = {"name": name, "image": image_of(ctx, service, spath)}
    policy = pull_policy(ctx, service, spath, hints)
    if policy:
        c["imagePullPolicy"] = policy
    c.update(command_and_args(ctx, service, spath))
    if service.working_dir:
        c["workingDir"] = service.working_dir
    secret = env_secret_name(ctx, name) if _secret_env(ctx, service) else None
    if ctx.options.env_configmap and _plain_env(ctx, service):
        c["envFrom"] = [{"configMapRef": {"name": env_configmap_name(ctx, name)}}]
        for key, value in service.environment.items():
            if value is None:
                ctx.info("k8s-env-unset", f"{key} has no value (it was not set when loading): left out",
                         spath + ("environment", key))
        env = environment(ctx, service, spath, secret, plain=False)
    else:
        env = environment(ctx, service, spath, secret)
    if env:
        c["env"] = env
    ports = container_ports(service_ports(ctx, service, spath, report=False))
    if ports:
        c["ports"] = ports
    res = resources(ctx, service, spath)
    if res:
        c["resources"] = res
    mounts = MountBuilder(ctx, service, spath, hints, project_hints, volumes, multi_pod, owner).build()
    if mounts:
        c["volumeMounts"] = mounts
    c.update(probes(ctx, service, spath, hints))
    lifecycle = _lifecycle(ctx, service, spath)
    if lifecycle:
        c["lifecycle"] = lifecycle
    sc = security_context(ctx, service, spath, name, annotations)
    if sc:
        c["securityContext"] = sc
    if service.stdin_open:
        c["stdin"] = True
    if service.tty:
        c["tty"] = True
    return c


def _lifecycle(ctx: Ctx, service: Service, spath: KeyPath) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key, field in (("post_start", "postStart"), ("pre_stop", "preStop")):
        hooks = getattr(service, key)
        for i, hook in enumerate(hooks):
            path = spath + (key, i)
            if i > 0:
                ctx.warn("k8s-hook", f"Kubernetes runs one {field} hook: this one is left out", path)
                continue
            if not hook.command:
                ctx.warn("k8s-hook", "a hook without a command: left out", path)
                continue
            for attr in ("user", "privileged", "working_dir", "environment", "image"):
                if getattr(hook, attr):
                    ctx.warn("k8s-hook", f"{attr} of a hook cannot be set: the hook runs like the container",
                             path + (attr,))
            if hook.per_replica:
                ctx.info("k8s-hook", "hooks always run in every replica", path + ("per_replica",))
            out[field] = {"exec": {"command": list(hook.command)}}
    return out


def env_configmap_name(ctx: Ctx, container: str) -> str:
    return ctx.claim_name("ConfigMap", object_name(f"{container}-env"), f"env:{container}")


def _plain_env(ctx: Ctx, service: Service) -> dict[str, str]:
    return {k: v for k, v in sorted(service.environment.items()) if v is not None and not ctx.options.is_secret_env(k)}


def _secret_env(ctx: Ctx, service: Service) -> dict[str, str]:
    return {k: v for k, v in sorted(service.environment.items()) if v is not None and ctx.options.is_secret_env(k)}


def env_secret_name(ctx: Ctx, container: str) -> str:
    return ctx.claim_name("Secret", object_name(f"{container}-env"), f"env:{container}")


def env_secret(ctx: Ctx, service: Service, container: str) -> dict[str, Any] | None:
    """The Secret holding the variables of option secret_env, or None (then a diagnostic says how to make it)."""
    data = _secret_env(ctx, service)
    if not data:
        return None
    name = env_secret_name(ctx, container)
    if not ctx.options.inline_secrets:
        literals = " ".join(f"--from-literal={data_key(k)}=\"${k}\"" for k in data)
        ctx.warn("k8s-secret-env", f"{', '.join(data)}: secret values (option secret_env) are not written into the "
                 f"output: the Secret {name} is referenced, not emitted", ("services", service.name, "environment"),
                 f"kubectl create secret generic {name} {literals}, or convert with inline_secrets")
        return None
    encoded = {data_key(k): base64.b64encode(v.encode("utf-8")).decode("ascii") for k, v in data.items()}
    return {"apiVersion": "v1", "kind": "Secret", "metadata": {"name": name}, "type": "Opaque", "data": encoded}


def env_configmap(ctx: Ctx, service: Service, container: str) -> dict[str, Any] | None:
    data = _plain_env(ctx, service)
    if not ctx.options.env_configmap or not data:
        return None
    # ConfigMap values are not expanded by Kubernetes, so they are written as they are
    return {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": env_configmap_name(ctx, container)},
            "data": data}


def _network(ctx: Ctx, service: Service, spath: KeyPath, pod: dict[str, Any]) -> None:
    mode = service.network_mode
    if service.net:
        ctx.info("k8s-ignored", "net is the legacy spelling of network_mode, which the loader already applied",
                 spath + ("net",))
    if not mode or mode.startswith("service:"):
        return
    path = spath + ("network_mode",)
    if mode == "host":
        pod["hostNetwork"] = True
        pod["dnsPolicy"] = "ClusterFirstWithHostNet"
    elif mode == "none":
        ctx.warn("k8s-network-none", "network_mode: none has no Kubernetes equivalent: the pod gets a network",
                 path)
    elif mode.startswith("container:"):
        ctx.warn("k8s-network-container", "network_mode: container: refers to a container outside the project",
                 path)
    else:
        ctx.info("k8s-network-mode", f"network_mode {mode}: pods share one flat cluster network", path)


def _namespaces(ctx: Ctx, service: Service, spath: KeyPath, members: set[str], pod: dict[str, Any]) -> None:
    for key, field in (("pid", "hostPID"), ("ipc", "hostIPC")):
        value = getattr(service, key)
        if not value:
            continue
        path = spath + (key,)
        if value == "host":
            pod[field] = True
        elif value.startswith("service:") and value[8:] in members:
            if key == "pid":
                pod["shareProcessNamespace"] = True
            ctx.info("k8s-shared-namespace", f"{key} is shared with {value[8:]} inside the pod", path)
        elif key == "ipc" and value in ("private", "shareable"):
            ctx.info("k8s-ipc", "containers of a pod share one IPC namespace, private to the pod", path)
        else:
            ctx.warn("k8s-namespace-mode", f"{key}: {value} has no Kubernetes equivalent", path)
    if service.uts:
        ctx.warn("k8s-namespace-mode", f"uts: {service.uts} has no Kubernetes equivalent (hostNetwork shares the "
                 "host's UTS namespace)", spath + ("uts",))


def _dns(ctx: Ctx, service: Service, spath: KeyPath, pod: dict[str, Any]) -> None:
    config: dict[str, Any] = {}
    if service.dns:
        config["nameservers"] = list(service.dns)[:3]
        if len(service.dns) > 3:
            ctx.warn("k8s-dns", "Kubernetes allows at most 3 nameservers: the rest are left out", spath + ("dns",))
        pod["dnsPolicy"] = "None"
        ctx.info("k8s-dns-policy", "dns replaces the cluster's DNS (dnsPolicy None): other services' names only "
                 "resolve if those servers know them", spath + ("dns",))
    if service.dns_search:
        config["searches"] = list(service.dns_search)
    if service.dns_opt:
        opts = []
        for opt in service.dns_opt:
            name, sep, value = opt.partition(":")
            opts.append({"name": name, "value": value} if sep else {"name": name})
        config["options"] = opts
    if config:
        pod["dnsConfig"] = config


def _host_aliases(ctx: Ctx, service: Service, spath: KeyPath, pod: dict[str, Any]) -> None:
    by_ip: dict[str, list[str]] = {}
    for host in sorted(service.extra_hosts):
        for ip in service.extra_hosts[host]:
            if ip == "host-gateway":
                ctx.warn("k8s-host-gateway", f"{host}: host-gateway (the Docker host) has no Kubernetes equivalent",
                         spath + ("extra_hosts", host))
                continue
            by_ip.setdefault(ip, []).append(host)
    if by_ip:
        pod["hostAliases"] = [{"ip": ip, "hostnames": hosts} for ip, hosts in sorted(by_ip.items())]


def _constraints(ctx: Ctx, service: Service, spath: KeyPath, pod: dict[str, Any], selector: dict[str, str]) -> None:
    node_selector: dict[str, str] = {}
    expressions: list[dict[str, Any]] = []
    if service.platform:
        os_, _, rest = service.platform.partition("/")
        arch, _, variant = rest.partition("/")
        node_selector["kubernetes.io/os"] = os_
        if arch:
            node_selector["kubernetes.io/arch"] = _ARCH.get(arch, arch)
        if variant:
            ctx.info("k8s-platform-variant", f"platform variant {variant} cannot be selected by node labels",
                     spath + ("platform",))
    placement = service.deploy.placement if service.deploy else None
    ppath = spath + ("deploy", "placement")
    for i, c in enumerate(placement.constraints if placement else ()):
        m = _LABEL_CONSTRAINT.match(c)
        path = ppath + ("constraints", i)
        if not m:
            ctx.warn("k8s-constraint", f"placement constraint {c!r} is not understood", path)
            continue
        key, op, value = m.groups()
        if key.startswith("node.labels."):
            label = key[len("node.labels."):]
        elif key == "node.hostname":
            label = "kubernetes.io/hostname"
        elif key == "node.platform.os":
            label = "kubernetes.io/os"
        elif key == "node.platform.arch":
            label, value = "kubernetes.io/arch", _ARCH.get(value, value)
        elif key == "node.role":
            manager = (value == "manager") == (op == "==")
            expressions.append({"key": "node-role.kubernetes.io/control-plane",
                                "operator": "Exists" if manager else "DoesNotExist"})
            if manager:
                pod.setdefault("tolerations", []).append(
                    {"key": "node-role.kubernetes.io/control-plane", "operator": "Exists", "effect": "NoSchedule"})
            continue
        else:
            ctx.warn("k8s-constraint", f"placement constraint on {key} has no Kubernetes node label", path)
            continue
        if op == "==" and label not in node_selector:
            node_selector[label] = value
        else:
            expressions.append({"key": label, "operator": "In" if op == "==" else "NotIn", "values": [value]})
    if node_selector:
        pod["nodeSelector"] = dict(sorted(node_selector.items()))
    affinity: dict[str, Any] = {}
    if expressions:
        affinity["nodeAffinity"] = {"requiredDuringSchedulingIgnoredDuringExecution": {
            "nodeSelectorTerms": [{"matchExpressions": expressions}]}}
    if placement and placement.max_replicas_per_node:
        path = ppath + ("max_replicas_per_node",)
        if placement.max_replicas_per_node == 1:
            affinity["podAntiAffinity"] = {"requiredDuringSchedulingIgnoredDuringExecution": [
                {"labelSelector": {"matchLabels": selector}, "topologyKey": "kubernetes.io/hostname"}]}
        else:
            ctx.warn("k8s-max-replicas-per-node", "max_replicas_per_node above 1 has no Kubernetes equivalent", path)
    if affinity:
        pod["affinity"] = affinity
    spread = []
    for i, pref in enumerate(placement.preferences if placement else ()):
        path = ppath + ("preferences", i)
        key = pref.spread or ""
        label = key[len("node.labels."):] if key.startswith("node.labels.") else (
            "kubernetes.io/hostname" if key == "node.hostname" else None)
        if label is None:
            ctx.warn("k8s-constraint", f"spread over {key!r} has no Kubernetes node label", path)
            continue
        spread.append({"maxSkew": 1, "topologyKey": label, "whenUnsatisfiable": "ScheduleAnyway",
                       "labelSelector": {"matchLabels": selector}})
    if spread:
        pod["topologySpreadConstraints"] = spread


def _pod_security(ctx: Ctx, service: Service, spath: KeyPath, pod: dict[str, Any]) -> None:
    sc: dict[str, Any] = {}
    groups = []
    for i, g in enumerate(service.group_add):
        if g.isascii() and g.isdigit():  # "²" is a digit to str.isdigit, not to int()
            groups.append(int(g))
        else:
            ctx.warn("k8s-group-name", f"group {g!r} is a name: Kubernetes needs numeric group ids "
                     "(supplementalGroups)", spath + ("group_add", i))
    if groups:
        sc["supplementalGroups"] = groups
    if service.sysctls:
        sc["sysctls"] = [{"name": k, "value": v} for k, v in sorted(service.sysctls.items())]
        ctx.info("k8s-sysctls", "sysctls outside the safe set must be allowed on the kubelet "
                 "(--allowed-unsafe-sysctls)", spath + ("sysctls",))
    if sc:
        pod["securityContext"] = sc


def _hostname(ctx: Ctx, service: Service, spath: KeyPath, pod: dict[str, Any]) -> None:
    if service.hostname:
        name = service.hostname
        if not _DNS_LABEL.match(name) or len(name) > 63:
            host, _, domain = name.partition(".")
            name = dns1123_label(host)
            ctx.info("k8s-hostname", f"hostname {service.hostname!r} becomes {name!r} (a pod hostname is one DNS "
                     "label)" + (f"; the domain {domain} is set with domainname" if domain else ""),
                     spath + ("hostname",))
        pod["hostname"] = name
    if service.domainname:
        sub = dns1123_label(service.domainname.split(".")[0])
        pod["subdomain"] = sub
        ctx.info("k8s-subdomain", f"domainname becomes subdomain {sub}: the pod's FQDN resolves only when a "
                 f"headless Service named {sub} exists in the namespace", spath + ("domainname",))


def pod_spec(ctx: Ctx, services: list[Service], names: list[str], hints: dict[str, ServiceHints],
             project_hints: ProjectHints, controller: str, restart_policy: str, selector: dict[str, str],
             multi_pod: bool) -> tuple[dict[str, Any], dict[str, str]]:
    """The pod spec of a primary service and the services that joined it, and the pod's extra annotations."""
    primary = services[0]
    spath: KeyPath = ("services", primary.name)
    members = {s.name for s in services}
    volumes = PodVolumes()
    annotations: dict[str, str] = {}
    init: list[dict[str, Any]] = []
    containers = []
    for service, name in zip(services, names):
        path: KeyPath = ("services", service.name)
        init.extend(i for i in init_containers(ctx, service, path, members) if i["name"] not in {x["name"] for x in init})
        containers.append(container_spec(ctx, service, path, name, hints[service.name], project_hints, volumes,
                                         multi_pod, primary.name, annotations))
    pod: dict[str, Any] = {}
    if init:
        pod["initContainers"] = init
    pod["containers"] = containers
    pod["restartPolicy"] = restart_policy
    if primary.stop_grace_period is not None:
        pod["terminationGracePeriodSeconds"] = max(0, math.ceil(primary.stop_grace_period.seconds))
    _network(ctx, primary, spath, pod)
    _namespaces(ctx, primary, spath, members, pod)
    _dns(ctx, primary, spath, pod)
    _host_aliases(ctx, primary, spath, pod)
    _hostname(ctx, primary, spath, pod)
    _constraints(ctx, primary, spath, pod, selector)
    _pod_security(ctx, primary, spath, pod)
    h = hints[primary.name]
    waits_for_job = any(c["image"] == ctx.options.kubectl_image and c["name"].startswith("wait-for-") for c in init)
    if h.service_account:
        pod["serviceAccountName"] = h.service_account
        if waits_for_job:
            ctx.warn("k8s-service-account", f"the wait for a Job needs its ServiceAccount to read Jobs; "
                     f"{h.service_account} must be allowed to", spath + ("depends_on",))
    elif waits_for_job:
        pod["serviceAccountName"] = job_waiter_name(ctx.project.name)
    if h.image_pull_secrets:
        pod["imagePullSecrets"] = [{"name": n} for n in h.image_pull_secrets]
    for service in services[1:]:
        _joined_pod_keys(ctx, service)
    vols = volumes.specs()
    if vols:
        pod["volumes"] = vols
    return pod, annotations


# keys that describe the pod rather than the container: a service that joins another's pod cannot set them
_POD_KEYS = ("hostname", "domainname", "dns", "dns_search", "dns_opt", "extra_hosts", "sysctls", "group_add",
             "platform", "stop_grace_period", "pid", "ipc", "uts", "deploy", "scale")


def _joined_pod_keys(ctx: Ctx, service: Service) -> None:
    for key in _POD_KEYS:
        value = getattr(service, key)
        if value not in (None, (), {}, ""):
            ctx.warn("k8s-joined-pod-key", f"{key} of a service that joins another's pod (network_mode: service) "
                     "is a pod setting, taken from that service: left out", ("services", service.name, key))


def pod_metadata(ctx: Ctx, service: Service, spath: KeyPath, hints: ServiceHints, selector: dict[str, str],
                 extra_annotations: dict[str, str]) -> dict[str, Any]:
    """The pod template's labels (selector and valid Compose labels) and annotations."""
    labels = {k: v for k, v in service.labels.items() if k not in hints.consumed_labels}
    good, notes, bad = split_labels(labels)
    for k in bad:
        ctx.warn("k8s-label-key", f"label {k!r} is not a valid Kubernetes label or annotation key: dropped",
                 spath + ("labels", k))
    meta: dict[str, Any] = {"labels": {**{k: v for k, v in good.items() if k not in selector}, **selector}}
    annotations = {**notes, **service.annotations, **hints.pod_annotations, **extra_annotations}
    if service.annotations:
        _, _, bad_ann = split_labels({k: "" for k in service.annotations})
        for k in bad_ann:
            ctx.warn("k8s-label-key", f"annotation {k!r} is not a valid Kubernetes annotation key: dropped",
                     spath + ("annotations", k))
            annotations.pop(k, None)
    if annotations:
        meta["annotations"] = dict(sorted(annotations.items()))
    meta["labels"] = dict(sorted(meta["labels"].items()))
    return meta


__all__ = ["pod_spec", "pod_metadata", "env_configmap", "env_secret", "POD_NAMESPACE_ENV"]
