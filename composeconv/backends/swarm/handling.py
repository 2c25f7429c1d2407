"""What the Swarm backend does with every field of the model; the docs table is generated from it."""

from __future__ import annotations

from functools import lru_cache
from typing import Any, Iterator

from ...diagnostics import KeyPath, Level
from ...model import types as T
from ...model.fields import field_default
from .context import Context
from ...records import record
from ... import records

KEPT = "kept"
TRANSLATED = "translated"
DROPPED = "dropped"
IGNORED = "ignored"
RESOLVED = "resolved"

# kind -> (diagnostic code, level) for the kinds that are reported generically
REPORTED = {
    DROPPED: ("swarm-unsupported", Level.WARNING),
    IGNORED: ("swarm-no-effect", Level.INFO),
    RESOLVED: ("swarm-resolved", Level.INFO),
}


@record
class Handling:
    kind: str
    note: str = ""
    since: str | None = None  # the stack file version that first accepts the key


def _h(kind: str, note: str = "", since: str | None = None) -> Handling:
    return Handling(kind, note, since)


K, X, D, I, R = KEPT, TRANSLATED, DROPPED, IGNORED, RESOLVED

# Classes that are only reachable below a key handled as a whole (their parent's row says what happens).
WHOLE: dict[type, str] = {
    T.Build: "services.*.build",
    T.SSHKey: "services.*.build",
    T.Develop: "services.*.develop",
    T.WatchTrigger: "services.*.develop",
    T.Hook: "services.*.post_start, pre_stop, pre_start",
    T.BlkioConfig: "services.*.blkio_config",
    T.WeightDevice: "services.*.blkio_config",
    T.ThrottleDevice: "services.*.blkio_config",
    T.DeviceRequest: "services.*.gpus, deploy.resources.*.devices",
    T.DeviceMapping: "services.*.devices",
    T.Extends: "services.*.extends",
    T.Dependency: "services.*.depends_on",
    T.ServiceModel: "services.*.models",
    T.ServiceProvider: "services.*.provider",
    T.Model: "models",
}

HANDLING: dict[str, Handling] = {
    # ---------------------------------------------------------------- project
    "Project.name": _h(X, "the stack name, given at deploy time: docker stack deploy -c FILE NAME"),
    "Project.services": _h(K),
    "Project.networks": _h(K),
    "Project.volumes": _h(K),
    "Project.secrets": _h(K, "", "3.1"),
    "Project.configs": _h(K, "", "3.3"),
    "Project.models": _h(D, "Swarm has no AI models"),
    "Project.extensions": _h(K, "", "3.4"),
    # ---------------------------------------------------------------- service
    "Service.name": _h(K, "the key under services; Swarm names the service <stack>_<name>"),
    "Service.profiles": _h(R, "the loader keeps only the services of the active profiles"),
    "Service.annotations": _h(D, "Swarm services have no annotations"),
    "Service.attach": _h(I, "no log attachment in Swarm; use docker service logs"),
    "Service.build": _h(X, "Swarm cannot build: the service runs `image`, else the image named by "
                          "extra image_for_build; without either it is an error"),
    "Service.develop": _h(I, "watch mode is a docker compose feature"),
    "Service.blkio_config": _h(D, "Swarm has no block I/O limits"),
    "Service.cap_add": _h(K),
    "Service.cap_drop": _h(K),
    "Service.cgroup_parent": _h(D, "unsupported by docker stack deploy"),
    "Service.cgroup": _h(D, "cgroupns_mode is unsupported by docker stack deploy"),
    "Service.cpu_count": _h(D, "Windows-only CPU count; use deploy.resources.limits.cpus"),
    "Service.cpu_percent": _h(D, "Windows-only CPU percent; use deploy.resources.limits.cpus"),
    "Service.cpu_period": _h(X, "with cpu_quota: deploy.resources.limits.cpus = cpu_quota / cpu_period"),
    "Service.cpu_quota": _h(X, "with cpu_period (default 100ms): deploy.resources.limits.cpus"),
    "Service.cpu_rt_period": _h(D, "Swarm has no real-time CPU scheduling"),
    "Service.cpu_rt_runtime": _h(D, "Swarm has no real-time CPU scheduling"),
    "Service.cpus": _h(X, "deploy.resources.limits.cpus"),
    "Service.cpuset": _h(D, "Swarm cannot pin CPUs"),
    "Service.cpu_shares": _h(D, "Swarm has no CPU shares; use deploy.resources.reservations.cpus"),
    "Service.command": _h(K),
    "Service.configs": _h(K, "", "3.3"),
    "Service.container_name": _h(D, "Swarm names tasks <stack>_<service>.<slot>.<id>"),
    "Service.credential_spec": _h(K, "config needs 3.8", "3.3"),
    "Service.depends_on": _h(D, "Swarm starts every service at once and has no start order or "
                               "conditions; services must retry until their dependencies answer"),
    "Service.deploy": _h(K),
    "Service.device_cgroup_rules": _h(D, "Swarm has no device cgroup rules"),
    "Service.devices": _h(D, "Swarm cannot map devices into tasks"),
    "Service.dns": _h(K),
    "Service.dns_opt": _h(D, "Swarm has no DNS options"),
    "Service.dns_search": _h(K),
    "Service.dockerfile": _h(I, "build settings are not used by Swarm"),
    "Service.domainname": _h(D, "unsupported by docker stack deploy"),
    "Service.entrypoint": _h(K, "an empty entrypoint (reset) cannot be expressed: Swarm treats it as unset"),
    "Service.provider": _h(D, "provider services are run by docker compose plugins; the service is left out"),
    "Service.environment": _h(K, "env_file is already folded in by the loader; `$` is escaped as `$$`"),
    "Service.env_file": _h(R, "the loader folded the files into environment"),
    "Service.expose": _h(I, "services on the same network reach every port of each other"),
    "Service.extends": _h(R, "the loader merged the extended service"),
    "Service.external_links": _h(D, "unsupported by docker stack deploy"),
    "Service.extra_hosts": _h(K, "host:ip list"),
    "Service.group_add": _h(D, "Swarm has no supplementary groups"),
    "Service.gpus": _h(D, "use generic resources (deploy.resources.reservations.generic_resources) "
                         "set up on the nodes"),
    "Service.hostname": _h(K),
    "Service.healthcheck": _h(K),
    "Service.image": _h(K),
    "Service.init": _h(K, "", "3.7"),
    "Service.ipc": _h(D, "unsupported by docker stack deploy"),
    "Service.isolation": _h(K, "", "3.5"),
    "Service.labels": _h(K, "container labels; deploy.labels are the service labels"),
    "Service.label_file": _h(R, "the loader folded the files into labels"),
    "Service.links": _h(D, "services reach each other by service name; use network aliases for other names"),
    "Service.logging": _h(K),
    "Service.log_driver": _h(X, "logging.driver"),
    "Service.log_opt": _h(X, "logging.options"),
    "Service.mem_limit": _h(X, "deploy.resources.limits.memory"),
    "Service.mem_reservation": _h(X, "deploy.resources.reservations.memory"),
    "Service.memswap_limit": _h(D, "Swarm has no swap limit"),
    "Service.mem_swappiness": _h(D, "Swarm has no swappiness setting"),
    "Service.mac_address": _h(D, "unsupported by docker stack deploy"),
    "Service.models": _h(D, "Swarm has no AI models"),
    "Service.net": _h(X, "as network_mode"),
    "Service.network_mode": _h(X, "host and none attach the service to Swarm's external `host` or "
                                  "`none` network; other modes are unsupported"),
    "Service.networks": _h(K, "aliases kept; driver_opts need 3.13; static addresses and MAC addresses dropped"),
    "Service.oom_kill_disable": _h(D, "Swarm cannot disable the OOM killer"),
    "Service.oom_score_adj": _h(K, "", "3.13"),
    "Service.pid": _h(D, "unsupported by docker stack deploy"),
    "Service.pids_limit": _h(X, "deploy.resources.limits.pids (3.9)"),
    "Service.platform": _h(D, "use deploy.placement.constraints on node.platform.os / node.platform.arch"),
    "Service.ports": _h(K, "long syntax; short syntax becomes mode: ingress; ranges are expanded; "
                           "host_ip, name and app_protocol dropped", "3.2"),
    "Service.privileged": _h(D, "unsupported by docker stack deploy"),
    "Service.pull_policy": _h(I, "docker stack deploy --resolve-image decides how images are resolved"),
    "Service.read_only": _h(K),
    "Service.restart": _h(X, "deploy.restart_policy: no -> none, on-failure[:N] -> on-failure "
                             "(max_attempts N), always and unless-stopped -> any"),
    "Service.runtime": _h(D, "Swarm has no runtime selection"),
    "Service.scale": _h(X, "deploy.replicas"),
    "Service.secrets": _h(K, "", "3.1"),
    "Service.security_opt": _h(D, "unsupported by docker stack deploy"),
    "Service.shm_size": _h(X, "a tmpfs mount at /dev/shm of that size (3.6)"),
    "Service.stdin_open": _h(K),
    "Service.stop_grace_period": _h(K),
    "Service.stop_signal": _h(K),
    "Service.storage_opt": _h(D, "Swarm has no storage options"),
    "Service.sysctls": _h(K),
    "Service.tmpfs": _h(X, "tmpfs mounts in volumes (3.6), which Swarm applies; size kept, other options dropped"),
    "Service.tty": _h(K),
    "Service.ulimits": _h(K),
    "Service.use_api_socket": _h(D, "mount /var/run/docker.sock as a bind volume instead"),
    "Service.user": _h(K),
    "Service.userns_mode": _h(D, "unsupported by docker stack deploy"),
    "Service.uts": _h(D, "Swarm has no UTS namespace setting"),
    "Service.volume_driver": _h(D, "set the driver on the top-level volume"),
    "Service.volumes": _h(K, "long syntax", "3.2"),
    "Service.volumes_from": _h(D, "share a named volume instead"),
    "Service.working_dir": _h(K),
    "Service.pre_start": _h(D, "Swarm has no lifecycle hooks"),
    "Service.post_start": _h(D, "Swarm has no lifecycle hooks"),
    "Service.pre_stop": _h(D, "Swarm has no lifecycle hooks"),
    "Service.extensions": _h(K, "", "3.7"),
    # ---------------------------------------------------------------- service references
    "FileReference.source": _h(K),
    "FileReference.target": _h(K),
    "FileReference.uid": _h(K),
    "FileReference.gid": _h(K),
    "FileReference.mode": _h(K, "written as a decimal number"),
    "FileReference.extensions": _h(D, "the 3.x schema has no extensions here"),
    "Ulimit.single": _h(K),
    "Ulimit.soft": _h(K, "the 3.x schema needs soft and hard together: a missing one takes the other's value"),
    "Ulimit.hard": _h(K, "the 3.x schema needs soft and hard together: a missing one takes the other's value"),
    "Ulimit.extensions": _h(D, "the 3.x schema has no extensions here"),
    "CredentialSpec.config": _h(K, "", "3.8"),
    "CredentialSpec.file": _h(K),
    "CredentialSpec.registry": _h(K),
    "CredentialSpec.extensions": _h(D, "the 3.x schema has no extensions here"),
    "Healthcheck.test": _h(K),
    "Healthcheck.timeout": _h(K),
    "Healthcheck.interval": _h(K),
    "Healthcheck.retries": _h(K),
    "Healthcheck.start_period": _h(K, "", "3.4"),
    "Healthcheck.start_interval": _h(K, "", "3.12"),
    "Healthcheck.disable": _h(K),
    "Healthcheck.extensions": _h(D, "the 3.x schema has no extensions here"),
    "Logging.driver": _h(K),
    "Logging.options": _h(K),
    "Logging.extensions": _h(D, "the 3.x schema has no extensions here"),
    "ServiceNetwork.aliases": _h(K),
    "ServiceNetwork.driver_opts": _h(K, "", "3.13"),
    "ServiceNetwork.gw_priority": _h(D, "Swarm has no gateway priority"),
    "ServiceNetwork.interface_name": _h(D, "Swarm cannot name interfaces"),
    "ServiceNetwork.ipv4_address": _h(D, "docker stack deploy ignores static addresses"),
    "ServiceNetwork.ipv6_address": _h(D, "docker stack deploy ignores static addresses"),
    "ServiceNetwork.link_local_ips": _h(D, "Swarm has no link-local addresses"),
    "ServiceNetwork.mac_address": _h(D, "Swarm cannot set MAC addresses"),
    "ServiceNetwork.priority": _h(D, "Swarm has no network priority"),
    "ServiceNetwork.extensions": _h(D, "the 3.x schema has no extensions here"),
    "Port.name": _h(I, "the 3.x schema has no port names"),
    "Port.mode": _h(K, "ingress unless host was asked for"),
    "Port.host_ip": _h(D, "Swarm publishes on every address of the node"),
    "Port.target": _h(K),
    "Port.published": _h(K, "ranges are expanded into one entry per port"),
    "Port.protocol": _h(K),
    "Port.app_protocol": _h(I, "the 3.x schema has no application protocol"),
    "Port.extensions": _h(D, "the 3.x schema has no extensions here"),
    "Mount.type": _h(K, "bind, volume, tmpfs and npipe; image and cluster mounts are dropped"),
    "Mount.source": _h(K, "bind sources: absolute, or relative to extra stack_dir"),
    "Mount.target": _h(K),
    "Mount.read_only": _h(K),
    "Mount.consistency": _h(K),
    "Mount.bind": _h(K),
    "Mount.volume": _h(K),
    "Mount.tmpfs": _h(K, "", "3.6"),
    "Mount.image": _h(D, "image mounts are not in the 3.x schema"),
    "Mount.extensions": _h(D, "the 3.x schema has no extensions here"),
    "VolumeBind.selinux": _h(D, "Swarm has no SELinux relabelling"),
    "VolumeBind.propagation": _h(K),
    "VolumeBind.create_host_path": _h(I, "Swarm never creates bind sources: the path must exist on every node"),
    "VolumeBind.recursive": _h(D, "not in the 3.x schema"),
    "VolumeBind.extensions": _h(D, "the 3.x schema has no extensions here"),
    "VolumeVolume.labels": _h(D, "not in the 3.x schema; label the top-level volume"),
    "VolumeVolume.nocopy": _h(K),
    "VolumeVolume.subpath": _h(K, "applied by docker CLI 28.0 and later only"),
    "VolumeVolume.extensions": _h(D, "the 3.x schema has no extensions here"),
    "VolumeTmpfs.size": _h(K, "", "3.6"),
    "VolumeTmpfs.mode": _h(D, "not in the 3.x schema"),
    "VolumeTmpfs.extensions": _h(D, "the 3.x schema has no extensions here"),
    "VolumeImage.subpath": _h(D, "image mounts are not in the 3.x schema"),
    "VolumeImage.extensions": _h(D, "image mounts are not in the 3.x schema"),
    # ---------------------------------------------------------------- deploy
    "Deploy.mode": _h(K, "replicated, global, replicated-job, global-job (jobs: docker CLI 23.0 and later)"),
    "Deploy.replicas": _h(K, "also from services.*.scale; dropped for global modes"),
    "Deploy.labels": _h(K),
    "Deploy.update_config": _h(K),
    "Deploy.rollback_config": _h(K, "", "3.7"),
    "Deploy.resources": _h(K),
    "Deploy.restart_policy": _h(K),
    "Deploy.placement": _h(K),
    "Deploy.endpoint_mode": _h(K, "", "3.2"),
    "Deploy.extensions": _h(D, "the 3.x schema has no extensions here"),
    "UpdateConfig.parallelism": _h(K),
    "UpdateConfig.delay": _h(K),
    "UpdateConfig.failure_action": _h(K),
    "UpdateConfig.monitor": _h(K),
    "UpdateConfig.max_failure_ratio": _h(K),
    "UpdateConfig.order": _h(K, "", "3.4"),
    "UpdateConfig.extensions": _h(D, "the 3.x schema has no extensions here"),
    "Resources.limits": _h(K),
    "Resources.reservations": _h(K),
    "Resources.extensions": _h(D, "the 3.x schema has no extensions here"),
    "Resource.cpus": _h(K, "as a string"),
    "Resource.memory": _h(K),
    "Resource.pids": _h(K, "limits only", "3.9"),
    "Resource.devices": _h(D, "device requests are not in the 3.x schema; use generic_resources"),
    "Resource.generic_resources": _h(K, "reservations only", "3.5"),
    "Resource.extensions": _h(D, "the 3.x schema has no extensions here"),
    "GenericResource.discrete_resource_spec": _h(K),
    "GenericResource.extensions": _h(D, "the 3.x schema has no extensions here"),
    "DiscreteGenericResource.kind": _h(K),
    "DiscreteGenericResource.value": _h(K),
    "DiscreteGenericResource.extensions": _h(D, "the 3.x schema has no extensions here"),
    "RestartPolicy.condition": _h(K),
    "RestartPolicy.delay": _h(K),
    "RestartPolicy.max_attempts": _h(K),
    "RestartPolicy.window": _h(K),
    "RestartPolicy.extensions": _h(D, "the 3.x schema has no extensions here"),
    "Placement.constraints": _h(K),
    "Placement.preferences": _h(K, "", "3.3"),
    "Placement.max_replicas_per_node": _h(K, "", "3.8"),
    "Placement.extensions": _h(D, "the 3.x schema has no extensions here"),
    "PlacementPreference.spread": _h(K),
    "PlacementPreference.extensions": _h(D, "the 3.x schema has no extensions here"),
    # ---------------------------------------------------------------- top-level objects
    "Network.name": _h(K, "only when it differs from <project>_<key>, which Swarm derives itself", "3.5"),
    "Network.driver": _h(K, "overlay when unset or bridge"),
    "Network.driver_opts": _h(K),
    "Network.ipam": _h(K),
    "Network.external": _h(K),
    "Network.internal": _h(K),
    "Network.attachable": _h(K, "also set on every network by extra attachable", "3.2"),
    "Network.labels": _h(K),
    "Network.enable_ipv4": _h(D, "not in the 3.x schema"),
    "Network.enable_ipv6": _h(D, "not in the 3.x schema"),
    "Network.extensions": _h(K, "", "3.7"),
    "IPAM.driver": _h(K),
    "IPAM.config": _h(K),
    "IPAM.options": _h(D, "not in the 3.x schema"),
    "IPAM.extensions": _h(D, "the 3.x schema has no extensions here"),
    "IPAMPool.subnet": _h(K),
    "IPAMPool.gateway": _h(D, "docker stack deploy accepts only subnets"),
    "IPAMPool.ip_range": _h(D, "docker stack deploy accepts only subnets"),
    "IPAMPool.aux_addresses": _h(D, "docker stack deploy accepts only subnets"),
    "IPAMPool.extensions": _h(D, "the 3.x schema has no extensions here"),
    "Volume.name": _h(K, "only when it differs from <project>_<key>", "3.4"),
    "Volume.driver": _h(K),
    "Volume.driver_opts": _h(K),
    "Volume.external": _h(K),
    "Volume.labels": _h(K, "dropped for external volumes, which the stack loader rejects"),
    "Volume.extensions": _h(K, "", "3.7"),
    "FileObject.name": _h(K, "only when it differs from <project>_<key>; extra hash_names adds a "
                             "content hash", "3.5"),
    "FileObject.file": _h(K, "absolute, or relative to extra stack_dir"),
    "FileObject.environment": _h(X, "written to secrets/<key> or configs/<key> next to the stack file, "
                                    "from extra environment (a secret's value only with inline_secrets)"),
    "FileObject.content": _h(X, "written to secrets/<key> or configs/<key> next to the stack file (a secret's "
                                "value only with inline_secrets)"),
    "FileObject.external": _h(K),
    "FileObject.labels": _h(K),
    "FileObject.driver": _h(K, "secrets only", "3.8"),
    "FileObject.driver_opts": _h(K, "secrets only", "3.8"),
    "FileObject.template_driver": _h(K, "", "3.8"),
    "FileObject.extensions": _h(K, "", "3.7"),
}


def field_key(cls: type, attr: str) -> str:
    """The Compose key of a model field, `x-*` for extensions."""
    for f in records.fields(cls):
        if f.name == attr:
            return f.metadata.get("key") or ("x-*" if f.metadata.get("kind") == "extensions" else attr)
    raise KeyError(attr)


def report_rest(ctx: Context, obj: Any, path: KeyPath, skip: tuple[str, ...] = ()) -> None:
    """Report every set field of obj that the table says is dropped, ignored or already resolved.

    skip names fields the caller has reported itself with a more specific message.
    """
    for f, h, default in _reported_fields(type(obj)):
        if f.name in skip:
            continue
        value = getattr(obj, f.name)
        if value == default:
            continue
        code, level = REPORTED[h.kind]
        if f.metadata.get("kind") == "extensions":
            for key in sorted(value):
                ctx.report(code, level, f"{key} removed: {h.note}", path + (key,))
            continue
        key = f.metadata["key"]
        what = "removed" if h.kind != RESOLVED else "already applied"
        ctx.report(code, level, f"{key} {what}: {h.note}", path + (key,))


@lru_cache(maxsize=None)
def _reported_fields(cls: type) -> tuple[tuple[records.Field, Handling, Any], ...]:
    """The fields of cls that report_rest reports when set, with their handling and default value."""
    out = []
    for f in records.fields(cls):
        h = HANDLING.get(f"{cls.__name__}.{f.name}")
        if f.metadata.get("kind") != "meta" and h is not None and h.kind in REPORTED:
            out.append((f, h, field_default(f)))
    return tuple(out)


def walk_fields(cls: type = T.Project, prefix: str = "") -> Iterator[tuple[str, type, records.Field]]:
    """(Compose key path, class, field) for every field reachable from cls, not below WHOLE classes."""
    for f in records.fields(cls):
        kind = f.metadata.get("kind")
        if kind == "meta":
            continue
        key = field_key(cls, f.name)
        if kind == "name":  # the key of the mapping the object sits in
            path = prefix.removesuffix(".").removesuffix(".*") + ".<name>"
        else:
            path = prefix + key
        yield path, cls, f
        child, sep = child_class(kind)
        if child is None or child in WHOLE:
            continue
        yield from walk_fields(child, path + sep)


# field kinds that are decoded by hand into model classes: kind -> (class, separator in key paths)
_CLASS_KINDS: dict[str, tuple[type, str]] = {"ulimits": (T.Ulimit, ".*."), "gpus": (T.DeviceRequest, "[]."),
                                             "ssh": (T.SSHKey, "[].")}


def child_class(kind: Any) -> tuple[type | None, str]:
    """The model class a field of this kind holds, and how its key path continues."""
    if isinstance(kind, tuple):
        return kind[1], ("[]." if kind[0] == "list" else ".*.")
    if isinstance(kind, type):
        return kind, "."
    if isinstance(kind, str) and kind in _CLASS_KINDS:
        return _CLASS_KINDS[kind]
    return None, ""
