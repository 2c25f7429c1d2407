"""How each Compose key is handled: mapped, reported (a warning) or ignored (an info with the reason).

KEYS is the one table the docs' mapping table is generated from. Keys marked `code` get their
diagnostics from the module that converts them (the message depends on the value); the others
that are reported or ignored are reported here, whenever they are set.
"""

from __future__ import annotations

from functools import lru_cache
from typing import Any, Iterator

from ...diagnostics import KeyPath
from ...model import Project, Service
from ...model.fields import field_default
from .context import Ctx
from ...records import record
from ... import records


@record(slots=False)
class Handling:
    how: str          # "mapped" | "reported" | "ignored"
    note: str
    code: bool = False  # diagnostics come from the converting code, not from report_keys()


def M(note: str) -> Handling:
    return Handling("mapped", note)


def R(note: str, code: bool = False) -> Handling:
    return Handling("reported", note, code)


def I(note: str, code: bool = False) -> Handling:  # noqa: E743
    return Handling("ignored", note, code)


_CPU = "no per-container equivalent; use deploy.resources or cpus"
SERVICE_KEYS: dict[str, Handling] = {
    "name": M("names of the workload, container and Service (DNS-1035, collisions are errors)"),
    "profiles": I("applied when loading: only the active services are converted"),
    "annotations": M("pod template annotations"),
    "attach": I("log attachment only matters to `docker compose up`"),
    "build": R("Kubernetes runs images from a registry: build and push the image yourself", code=True),
    "develop": I("watch mode is a `docker compose` development feature"),
    "blkio_config": R("block IO weights and limits have no Kubernetes equivalent"),
    "cap_add": M("securityContext.capabilities.add"),
    "cap_drop": M("securityContext.capabilities.drop"),
    "cgroup_parent": R("cgroups are managed by the kubelet"),
    "cgroup": R("cgroups are managed by the kubelet"),
    "cpu_count": R(_CPU), "cpu_percent": R(_CPU), "cpu_period": R(_CPU), "cpu_quota": R(_CPU),
    "cpu_rt_period": R(_CPU), "cpu_rt_runtime": R(_CPU), "cpuset": R("CPU pinning is the kubelet's CPU manager's job"),
    "cpu_shares": R("CPU weight follows resources.requests.cpu"),
    "cpus": M("resources.limits.cpu (deploy.resources wins)"),
    "command": M("args, with `$` escaped so Kubernetes does not expand $(VAR)"),
    "configs": M("ConfigMap volume mounted at the target (default /<name>) with the mode (default 0444)"),
    "configs.source": M("the ConfigMap"),
    "configs.target": M("mountPath"),
    "configs.uid": R("file owners cannot be set per file", code=True),
    "configs.gid": R("file owners cannot be set per file", code=True),
    "configs.mode": M("items[].mode"),
    "container_name": M("an extra Service with that name, since Compose resolves it too"),
    "credential_spec": R("Windows gMSA credentials need securityContext.windowsOptions set by hand"),
    "depends_on": M("init containers that wait (see Dependencies)"),
    "depends_on.condition": M("what the init container waits for"),
    "depends_on.restart": I("no way to restart a pod when another restarts", code=True),
    "depends_on.required": M("false: the wait gives up after optional_wait_seconds", ),
    "deploy": M("workload settings"),
    "deploy.mode": M("replicated: Deployment, global: DaemonSet, replicated-job and global-job: Job"),
    "deploy.replicas": M("spec.replicas (Job: completions and parallelism)"),
    "deploy.labels": M("workload labels (annotations when not valid label values)"),
    "deploy.update_config": M("rollout strategy"),
    "deploy.update_config.parallelism": M("maxUnavailable (stop-first) or maxSurge (start-first); 0 is 100%"),
    "deploy.update_config.delay": I("no pause between batches in Kubernetes", code=True),
    "deploy.update_config.failure_action": I("a failed rollout stops; kubectl rollout undo rolls back", code=True),
    "deploy.update_config.monitor": M("minReadySeconds"),
    "deploy.update_config.max_failure_ratio": I("no Kubernetes equivalent", code=True),
    "deploy.update_config.order": M("start-first: maxSurge, stop-first: maxUnavailable"),
    "deploy.rollback_config": I("kubectl rollout undo uses the rollout strategy", code=True),
    "deploy.resources": M("container resources"),
    "deploy.resources.limits": M("resources.limits"),
    "deploy.resources.limits.cpus": M("limits.cpu"),
    "deploy.resources.limits.memory": M("limits.memory"),
    "deploy.resources.limits.pids": R("pid limits are set on the kubelet", code=True),
    "deploy.resources.limits.devices": M("GPUs: nvidia.com/gpu (or amd.com/gpu) limits"),
    "deploy.resources.limits.devices.capabilities": M("gpu selects the GPU resource"),
    "deploy.resources.limits.devices.driver": M("nvidia or amd resource name"),
    "deploy.resources.limits.devices.count": M("number of GPUs (all: 1, reported)"),
    "deploy.resources.limits.devices.device_ids": R("specific devices cannot be chosen", code=True),
    "deploy.resources.limits.devices.options": I("no Kubernetes equivalent", code=True),
    "deploy.resources.limits.generic_resources": R("no Kubernetes equivalent", code=True),
    "deploy.resources.reservations": M("resources.requests"),
    "deploy.resources.reservations.cpus": M("requests.cpu"),
    "deploy.resources.reservations.memory": M("requests.memory"),
    "deploy.resources.reservations.pids": R("pid limits are set on the kubelet", code=True),
    "deploy.resources.reservations.devices": M("GPUs: nvidia.com/gpu (or amd.com/gpu) limits"),
    "deploy.resources.reservations.devices.capabilities": M("gpu selects the GPU resource"),
    "deploy.resources.reservations.devices.driver": M("nvidia or amd resource name"),
    "deploy.resources.reservations.devices.count": M("number of GPUs (all: 1, reported)"),
    "deploy.resources.reservations.devices.device_ids": R("specific devices cannot be chosen", code=True),
    "deploy.resources.reservations.devices.options": I("no Kubernetes equivalent", code=True),
    "deploy.resources.reservations.generic_resources": R("no Kubernetes equivalent", code=True),
    "deploy.restart_policy": M("restartPolicy (see Workloads)"),
    "deploy.restart_policy.condition": M("any: Always; on-failure, none: Job restart policy (reported otherwise)"),
    "deploy.restart_policy.delay": I("the kubelet backs off exponentially", code=True),
    "deploy.restart_policy.max_attempts": M("Job backoffLimit (reported otherwise)"),
    "deploy.restart_policy.window": I("the kubelet backs off exponentially", code=True),
    "deploy.placement": M("scheduling"),
    "deploy.placement.constraints": M("nodeSelector (==) and node affinity (!=, node.role)"),
    "deploy.placement.preferences": M("topologySpreadConstraints"),
    "deploy.placement.preferences.spread": M("topologyKey"),
    "deploy.placement.max_replicas_per_node": M("1: pod anti-affinity per node (more is reported)"),
    "deploy.endpoint_mode": M("dnsrr: a headless Service; vip: a ClusterIP Service"),
    "device_cgroup_rules": R("device access needs a device plugin"),
    "devices": R("host devices need a device plugin (or privileged and a hostPath)"),
    "dns": M("dnsConfig.nameservers with dnsPolicy None"),
    "dns_opt": M("dnsConfig.options"),
    "dns_search": M("dnsConfig.searches"),
    "dockerfile": I("only used for building"),
    "domainname": M("subdomain"),
    "entrypoint": M("command, with `$` escaped"),
    "provider": R("provider services are run by a Compose plugin, not by a container"),
    "environment": M("env (or a ConfigMap and envFrom with env_configmap); keys without value are left out"),
    "env_file": I("already merged into environment when loading, with Compose's precedence"),
    "expose": M("Service ports and containerPorts"),
    "extends": I("resolved when loading"),
    "external_links": R("containers outside the project cannot be linked"),
    "extra_hosts": M("hostAliases (host-gateway is reported)"),
    "group_add": M("securityContext.supplementalGroups (numeric only; names are reported)"),
    "gpus": M("nvidia.com/gpu limits"),
    "hostname": M("pod hostname"),
    "healthcheck": M("readiness and liveness probes (see Healthchecks)"),
    "healthcheck.test": M("exec probe: CMD as is, CMD-SHELL as sh -c, NONE: no probes"),
    "healthcheck.timeout": M("timeoutSeconds (rounded up, at least 1)"),
    "healthcheck.interval": M("periodSeconds (rounded up, at least 1)"),
    "healthcheck.retries": M("failureThreshold"),
    "healthcheck.start_period": M("a startupProbe"),
    "healthcheck.start_interval": M("the startupProbe's periodSeconds"),
    "healthcheck.disable": M("no probes"),
    "image": M("container image (built services: <project>-<service>, reported)"),
    "init": M("true: shareProcessNamespace, so the pod's pause process reaps zombies"),
    "ipc": M("host: hostIPC; service:X in the same pod: shared; others reported"),
    "isolation": R("Windows isolation has no Kubernetes equivalent"),
    "labels": M("workload and pod labels (annotations when not valid label values); kompose.* labels are hints"),
    "label_file": I("already merged into labels when loading"),
    "links": M("link aliases become extra Services; plain links need nothing"),
    "logging": R("logging is the cluster's concern (the kubelet keeps container logs)"),
    "log_driver": R("logging is the cluster's concern"),
    "log_opt": R("logging is the cluster's concern"),
    "mem_limit": M("resources.limits.memory (deploy.resources wins)"),
    "mem_reservation": M("resources.requests.memory (deploy.resources wins)"),
    "memswap_limit": R("swap is configured on the node"),
    "mem_swappiness": R("swap is configured on the node"),
    "mac_address": R("pods get their addresses from the network plugin"),
    "models": R("models are served by Docker Model Runner"),
    "net": I("legacy spelling of network_mode", code=True),
    "network_mode": M("host: hostNetwork; service:X: the container joins X's pod; others reported"),
    "networks": M("one flat pod network; aliases become Services; attachment is reported"),
    "networks.aliases": M("an extra Service per alias"),
    "networks.driver_opts": R("pods share one network"),
    "networks.gw_priority": R("pods share one network"),
    "networks.interface_name": R("pods share one network"),
    "networks.ipv4_address": R("pods get their addresses from the network plugin"),
    "networks.ipv6_address": R("pods get their addresses from the network plugin"),
    "networks.link_local_ips": R("pods get their addresses from the network plugin"),
    "networks.mac_address": R("pods get their addresses from the network plugin"),
    "networks.priority": R("pods share one network"),
    "oom_kill_disable": R("the kernel's OOM killer is managed by the kubelet"),
    "oom_score_adj": R("OOM scores follow the pod's QoS class"),
    "pid": M("host: hostPID; service:X in the same pod: shareProcessNamespace; others reported"),
    "pids_limit": R("pid limits are set on the kubelet"),
    "platform": M("nodeSelector kubernetes.io/os and kubernetes.io/arch"),
    "ports": M("Service ports (published as port, target as targetPort) and containerPorts"),
    "ports.name": M("Service port name when valid"),
    "ports.mode": M("host mode is reported"),
    "ports.host_ip": M("reported: a Service listens on its cluster address"),
    "ports.target": M("targetPort and containerPort"),
    "ports.published": M("Service port; ranges are expanded"),
    "ports.protocol": M("TCP, UDP or SCTP"),
    "ports.app_protocol": M("appProtocol"),
    "privileged": M("securityContext.privileged"),
    "pull_policy": M("imagePullPolicy: always Always, never Never, missing IfNotPresent; others reported"),
    "read_only": M("securityContext.readOnlyRootFilesystem"),
    "restart": M("restartPolicy of Jobs; reported for other workloads, which always restart"),
    "runtime": M("runtimeClassName (the cluster must define a RuntimeClass of that name)"),
    "scale": M("spec.replicas"),
    "secrets": M("Secret volume at the target (default /run/secrets/<name>) with the mode (default 0444)"),
    "secrets.source": M("the Secret"),
    "secrets.target": M("mountPath"),
    "secrets.uid": R("file owners cannot be set per file", code=True),
    "secrets.gid": R("file owners cannot be set per file", code=True),
    "secrets.mode": M("items[].mode"),
    "security_opt": M("no-new-privileges, seccomp:unconfined, apparmor, label: securityContext; others reported"),
    "shm_size": M("a memory emptyDir at /dev/shm with that sizeLimit"),
    "stdin_open": M("stdin"),
    "stop_grace_period": M("terminationGracePeriodSeconds (rounded up)"),
    "stop_signal": R("the stop signal comes from the image (STOPSIGNAL)"),
    "storage_opt": R("container storage options have no Kubernetes equivalent"),
    "sysctls": M("pod securityContext.sysctls"),
    "tmpfs": M("memory emptyDir with sizeLimit from size="),
    "tty": M("tty"),
    "ulimits": R("ulimits are set on the node's container runtime"),
    "use_api_socket": R("there is no Docker API socket in a pod"),
    "user": M("runAsUser and runAsGroup (numeric only; names are reported)"),
    "userns_mode": R("user namespaces are set with hostUsers, by hand"),
    "uts": R("no hostUTS in Kubernetes", code=True),
    "volume_driver": R("the storage class decides"),
    "volumes": M("named: PersistentVolumeClaim; anonymous: emptyDir; tmpfs: memory emptyDir; bind: see Bind mounts"),
    "volumes.type": M("volume, bind, tmpfs (npipe, cluster and image are reported)"),
    "volumes.source": M("the claim, host path or ConfigMap"),
    "volumes.target": M("mountPath"),
    "volumes.read_only": M("readOnly"),
    "volumes.consistency": I("only matters to Docker Desktop on macOS", code=True),
    "volumes.bind": M("bind options"),
    "volumes.bind.selinux": I("relabeling is up to the container runtime", code=True),
    "volumes.bind.propagation": M("mountPropagation of hostPath mounts"),
    "volumes.bind.create_host_path": R("named in the bind-mount warning: a hostPath without a type creates a "
                                       "missing folder, as Compose does", code=True),
    "volumes.bind.recursive": I("no Kubernetes equivalent", code=True),
    "volumes.volume": M("volume options"),
    "volumes.volume.labels": I("anonymous volumes have no object to label", code=True),
    "volumes.volume.nocopy": I("Kubernetes never copies image content into volumes", code=True),
    "volumes.volume.subpath": M("subPath"),
    "volumes.tmpfs": M("tmpfs options"),
    "volumes.tmpfs.size": M("sizeLimit"),
    "volumes.tmpfs.mode": I("an emptyDir's mode cannot be set", code=True),
    "volumes.image": R("image mounts need Kubernetes image volumes (1.31+), not emitted"),
    "volumes_from": R("volumes of another container cannot be shared across pods"),
    "working_dir": M("workingDir"),
    "pre_start": R("pre_start hooks run in separate containers; add an init container by hand"),
    "post_start": M("lifecycle.postStart exec (the first hook; more are reported)"),
    "pre_stop": M("lifecycle.preStop exec (the first hook; more are reported)"),
}

NETWORK_KEYS: dict[str, Handling] = {
    "name": I("pods share one flat network", code=True),
    "driver": I("pods share one flat network"),
    "driver_opts": I("pods share one flat network"),
    "ipam": I("pod addresses come from the network plugin"),
    "external": I("pods share one flat network"),
    "internal": R("pods can still reach outside the cluster; use a NetworkPolicy"),
    "attachable": I("pods share one flat network"),
    "labels": I("no network object to label"),
    "enable_ipv4": I("address families are the cluster's"),
    "enable_ipv6": I("address families are the cluster's"),
}
VOLUME_KEYS: dict[str, Handling] = {
    "name": I("the claim is named after the volume's key", code=True),
    "driver": R("the storage class decides", code=True),
    "driver_opts": R("the storage class decides", code=True),
    "external": M("the claim (named after `name`) must exist; not emitted"),
    "labels": M("claim labels (annotations when not valid); kompose.volume.* labels are hints"),
}
FILE_KEYS: dict[str, Handling] = {
    "name": I("the object is named after the key (external: after `name`)", code=True),
    "file": M("data from file_contents (else referenced and reported)"),
    "environment": R("the value is only known when Compose runs: referenced, with how to create it", code=True),
    "content": M("data"),
    "external": M("referenced, must exist; not emitted"),
    "labels": M("object labels"),
    "driver": R("no Kubernetes equivalent", code=True),
    "driver_opts": R("no Kubernetes equivalent", code=True),
    "template_driver": R("no templating in Kubernetes", code=True),
}
PROJECT_KEYS: dict[str, Handling] = {
    "name": M("app.kubernetes.io/instance and part-of labels"),
    "services": M("workloads and Services"),
    "networks": M("see the network keys"),
    "volumes": M("PersistentVolumeClaims"),
    "secrets": M("Secrets (with inline_secrets) or references"),
    "configs": M("ConfigMaps"),
    "models": R("models are served by Docker Model Runner"),
}


@lru_cache(maxsize=None)
def _field_for(cls: type, key: str) -> tuple[str, Any] | None:
    """The attribute holding a Compose key in a model class, and its default value."""
    for f in records.fields(cls):
        if f.metadata.get("key") == key:
            return f.name, field_default(f)
    return None


def _set_values(obj: Any, parts: list[str], path: KeyPath) -> Iterator[tuple[KeyPath, Any]]:
    """(key path, value) of every place the dotted key is set to something other than its default."""
    if obj is None or not parts:
        return
    found = _field_for(type(obj), parts[0])
    if found is None:
        return
    attr, default = found
    value = getattr(obj, attr)
    here = path + (parts[0],)
    if len(parts) == 1:
        if value != default:
            yield here, value
        return
    if isinstance(value, tuple):
        for i, item in enumerate(value):
            yield from _set_values(item, parts[1:], here + (i,))
    elif isinstance(value, dict):
        for k in sorted(value):
            if records.is_record(value[k]):
                yield from _set_values(value[k], parts[1:], here + (k,))
    else:
        yield from _set_values(value, parts[1:], here)


def _report(ctx: Ctx, obj: Any, table: dict[str, Handling], base: KeyPath) -> None:
    for key, h in table.items():
        if h.how == "mapped" or h.code:
            continue
        for path, _ in _set_values(obj, key.split("."), base):
            if h.how == "reported":
                ctx.warn("k8s-unsupported", f"{key} has no Kubernetes equivalent: {h.note}", path)
            else:
                ctx.info("k8s-ignored", f"{key} is not converted: {h.note}", path)


def report_service_keys(ctx: Ctx, service: Service) -> None:
    _report(ctx, service, SERVICE_KEYS, ("services", service.name))


def report_project_keys(ctx: Ctx, project: Project) -> None:
    _report(ctx, project, PROJECT_KEYS, ())
    for key in sorted(project.networks):
        net = project.networks[key]
        _report(ctx, net, NETWORK_KEYS, ("networks", key))
        if net.name and net.name != (f"{project.name}_{key}" if project.name else key) and not net.external:
            ctx.info("k8s-ignored", "network name is not converted: pods share one flat network",
                     ("networks", key, "name"))
    for key in sorted(project.volumes):
        _report(ctx, project.volumes[key], VOLUME_KEYS, ("volumes", key))
    for kind, table in (("secrets", project.secrets), ("configs", project.configs)):
        for key in sorted(table):
            _report(ctx, table[key], FILE_KEYS, (kind, key))


def markdown_table() -> str:
    """The mapping table of docs/kubernetes.md, generated from the tables above."""
    lines = ["| Compose key | Handling | Kubernetes / reason |", "| --- | --- | --- |"]
    for prefix, table in (("services.", SERVICE_KEYS), ("networks.", NETWORK_KEYS), ("volumes.", VOLUME_KEYS),
                          ("secrets. / configs.", FILE_KEYS), ("", PROJECT_KEYS)):
        for key, h in table.items():
            how = {"mapped": "mapped", "reported": "reported (warning)", "ignored": "ignored (info)"}[h.how]
            note = h.note.replace("|", "\\|")
            lines.append(f"| `{prefix}{key}` | {how} | {note} |")
    return "\n".join(lines) + "\n"


