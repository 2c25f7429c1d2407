"""The Compose model: frozen records in long syntax, with no knowledge of any target platform."""

from __future__ import annotations

from typing import Any

from .fields import ext, fld
from .values import Duration
from ..records import field, record

Mapping = dict[str, str]
Extensions = dict[str, Any]



@record(kw_only=True)
class DeviceRequest:
    """A request for devices such as GPUs (deploy.resources.*.devices, gpus)."""

    capabilities: tuple[str, ...] = fld("capabilities", "strlist", factory=tuple)
    driver: str | None = fld("driver", "str")
    count: int | None = fld("count", "devicecount")  # -1 means "all"
    device_ids: tuple[str, ...] = fld("device_ids", "strlist", factory=tuple)
    options: Mapping = fld("options", "mapping", factory=dict)


@record(kw_only=True)
class DiscreteGenericResource:
    kind: str = fld("kind", "str", default="", omit=False)
    value: int = fld("value", "int", default=0, omit=False)
    extensions: Extensions = ext()


@record(kw_only=True)
class GenericResource:
    discrete_resource_spec: DiscreteGenericResource | None = fld("discrete_resource_spec", DiscreteGenericResource)
    extensions: Extensions = ext()


@record(kw_only=True)
class Resource:
    """One side of deploy.resources: limits or reservations."""

    cpus: float | None = fld("cpus", "nanocpus")
    memory: int | None = fld("memory", "bytes")
    pids: int | None = fld("pids", "int")
    devices: tuple[DeviceRequest, ...] = fld("devices", ("list", DeviceRequest), factory=tuple)
    generic_resources: tuple[GenericResource, ...] = fld("generic_resources", ("list", GenericResource), factory=tuple)
    extensions: Extensions = ext()


@record(kw_only=True)
class Resources:
    limits: Resource | None = fld("limits", Resource)
    reservations: Resource | None = fld("reservations", Resource)
    extensions: Extensions = ext()


@record(kw_only=True)
class UpdateConfig:
    """deploy.update_config and deploy.rollback_config."""

    parallelism: int | None = fld("parallelism", "int", ptr=True)
    delay: Duration | None = fld("delay", "duration")
    failure_action: str | None = fld("failure_action", "str")
    monitor: Duration | None = fld("monitor", "duration")
    max_failure_ratio: float | None = fld("max_failure_ratio", "float32")
    order: str | None = fld("order", "str")
    extensions: Extensions = ext()


@record(kw_only=True)
class RestartPolicy:
    condition: str | None = fld("condition", "str")
    delay: Duration | None = fld("delay", "duration", ptr=True)
    max_attempts: int | None = fld("max_attempts", "int", ptr=True)
    window: Duration | None = fld("window", "duration", ptr=True)
    extensions: Extensions = ext()


@record(kw_only=True)
class PlacementPreference:
    spread: str | None = fld("spread", "str")
    extensions: Extensions = ext()


@record(kw_only=True)
class Placement:
    constraints: tuple[str, ...] = fld("constraints", "strlist", factory=tuple)
    preferences: tuple[PlacementPreference, ...] = fld("preferences", ("list", PlacementPreference), factory=tuple)
    max_replicas_per_node: int | None = fld("max_replicas_per_node", "int")
    extensions: Extensions = ext()


@record(kw_only=True)
class Deploy:
    """The deploy section: replicas, resources, placement, update and restart policies."""

    mode: str | None = fld("mode", "str")
    replicas: int | None = fld("replicas", "int", ptr=True)
    labels: Mapping = fld("labels", "labels", factory=dict)
    update_config: UpdateConfig | None = fld("update_config", UpdateConfig)
    rollback_config: UpdateConfig | None = fld("rollback_config", UpdateConfig)
    resources: Resources = fld("resources", Resources, factory=Resources, omit=False)
    restart_policy: RestartPolicy | None = fld("restart_policy", RestartPolicy)
    placement: Placement = fld("placement", Placement, factory=Placement, omit=False)
    endpoint_mode: str | None = fld("endpoint_mode", "str")
    extensions: Extensions = ext()


@record(kw_only=True)
class Ulimit:
    """A ulimit: either single (one number) or soft/hard."""

    single: int | None = fld("single", "int")
    soft: int | None = fld("soft", "int")
    hard: int | None = fld("hard", "int")
    extensions: Extensions = ext()


@record(kw_only=True)
class SSHKey:
    id: str = fld("id", "str", default="")
    path: str | None = fld("path", "str")


@record(kw_only=True)
class FileReference:
    """A service's reference to a secret or config: source, target, uid, gid, mode."""

    source: str | None = fld("source", "str")
    target: str | None = fld("target", "str")
    uid: str | None = fld("uid", "str")
    gid: str | None = fld("gid", "str")
    mode: int | None = fld("mode", "filemode", ptr=True)
    extensions: Extensions = ext()


@record(kw_only=True)
class Build:
    """How to build the service image."""

    context: str | None = fld("context", "str")
    dockerfile: str | None = fld("dockerfile", "str")
    dockerfile_inline: str | None = fld("dockerfile_inline", "str")
    entitlements: tuple[str, ...] = fld("entitlements", "strlist", factory=tuple)
    args: dict[str, str | None] = fld("args", "mapping_eq", factory=dict)
    provenance: str | None = fld("provenance", "str")
    sbom: str | None = fld("sbom", "str")
    ssh: tuple[SSHKey, ...] = fld("ssh", "ssh", factory=tuple)
    labels: Mapping = fld("labels", "labels", factory=dict)
    cache_from: tuple[str, ...] = fld("cache_from", "strlist", factory=tuple)
    cache_to: tuple[str, ...] = fld("cache_to", "strlist", factory=tuple)
    no_cache: bool = fld("no_cache", "bool", default=False)
    no_cache_filter: tuple[str, ...] = fld("no_cache_filter", "strlist", factory=tuple)
    additional_contexts: Mapping = fld("additional_contexts", "mapping", factory=dict)
    pull: bool = fld("pull", "bool", default=False)
    extra_hosts: dict[str, tuple[str, ...]] = fld("extra_hosts", "hosts", factory=dict)
    isolation: str | None = fld("isolation", "str")
    network: str | None = fld("network", "str")
    target: str | None = fld("target", "str")
    secrets: tuple[FileReference, ...] = fld("secrets", ("list", FileReference), factory=tuple)
    shm_size: int | None = fld("shm_size", "bytes")
    tags: tuple[str, ...] = fld("tags", "strlist", factory=tuple)
    ulimits: dict[str, Ulimit] = fld("ulimits", "ulimits", factory=dict)
    platforms: tuple[str, ...] = fld("platforms", "strlist", factory=tuple)
    privileged: bool = fld("privileged", "bool", default=False)
    extensions: Extensions = ext()


@record(kw_only=True)
class Hook:
    """A lifecycle hook command (post_start, pre_stop) or a watch exec."""

    command: tuple[str, ...] | None = fld("command", "command", omit=False)
    image: str | None = fld("image", "str")
    user: str | None = fld("user", "str")
    privileged: bool = fld("privileged", "bool", default=False)
    working_dir: str | None = fld("working_dir", "str")
    environment: dict[str, str | None] = fld("environment", "mapping_eq", factory=dict)
    per_replica: bool = fld("per_replica", "bool", default=False)
    extensions: Extensions = ext()


@record(kw_only=True)
class WatchTrigger:
    path: str = fld("path", "str", default="", omit=False)
    action: str = fld("action", "str", default="", omit=False)
    target: str | None = fld("target", "str")
    exec: Hook = fld("exec", Hook, factory=Hook, omit=False)
    include: tuple[str, ...] = fld("include", "strlist", factory=tuple)
    ignore: tuple[str, ...] = fld("ignore", "strlist", factory=tuple)
    initial_sync: bool = fld("initial_sync", "bool", default=False)
    extensions: Extensions = ext()


@record(kw_only=True)
class Develop:
    watch: tuple[WatchTrigger, ...] = fld("watch", ("list", WatchTrigger), factory=tuple)
    extensions: Extensions = ext()


@record(kw_only=True)
class ThrottleDevice:
    path: str = fld("path", "str", default="", omit=False, json_key="Path")
    rate: int = fld("rate", "bytes", default=0, omit=False, json_key="Rate")
    extensions: Extensions = ext()


@record(kw_only=True)
class WeightDevice:
    path: str = fld("path", "str", default="", omit=False, json_key="Path")
    weight: int = fld("weight", "int", default=0, omit=False, json_key="Weight")
    extensions: Extensions = ext()


@record(kw_only=True)
class BlkioConfig:
    weight: int | None = fld("weight", "int")
    weight_device: tuple[WeightDevice, ...] = fld("weight_device", ("list", WeightDevice), factory=tuple)
    device_read_bps: tuple[ThrottleDevice, ...] = fld("device_read_bps", ("list", ThrottleDevice), factory=tuple)
    device_read_iops: tuple[ThrottleDevice, ...] = fld("device_read_iops", ("list", ThrottleDevice), factory=tuple)
    device_write_bps: tuple[ThrottleDevice, ...] = fld("device_write_bps", ("list", ThrottleDevice), factory=tuple)
    device_write_iops: tuple[ThrottleDevice, ...] = fld("device_write_iops", ("list", ThrottleDevice), factory=tuple)
    extensions: Extensions = ext()


@record(kw_only=True)
class CredentialSpec:
    config: str | None = fld("config", "str")
    file: str | None = fld("file", "str")
    registry: str | None = fld("registry", "str")
    extensions: Extensions = ext()


@record(kw_only=True)
class Dependency:
    """One depends_on entry."""

    condition: str | None = fld("condition", "str")
    restart: bool = fld("restart", "bool", default=False)
    required: bool = fld("required", "bool", default=True, omit=False)
    extensions: Extensions = ext()


@record(kw_only=True)
class DeviceMapping:
    source: str | None = fld("source", "str")
    target: str | None = fld("target", "str")
    permissions: str | None = fld("permissions", "str")
    extensions: Extensions = ext()


@record(kw_only=True)
class Extends:
    file: str | None = fld("file", "str")
    service: str | None = fld("service", "str")


@record(kw_only=True)
class Healthcheck:
    test: tuple[str, ...] = fld("test", "healthtest", factory=tuple)
    timeout: Duration | None = fld("timeout", "duration", ptr=True)
    interval: Duration | None = fld("interval", "duration", ptr=True)
    retries: int | None = fld("retries", "int", ptr=True)
    start_period: Duration | None = fld("start_period", "duration", ptr=True)
    start_interval: Duration | None = fld("start_interval", "duration", ptr=True)
    disable: bool = fld("disable", "bool", default=False)
    extensions: Extensions = ext()


@record(kw_only=True)
class Logging:
    driver: str | None = fld("driver", "str")
    options: Mapping = fld("options", "options", factory=dict)
    extensions: Extensions = ext()


@record(kw_only=True)
class ServiceModel:
    endpoint_var: str | None = fld("endpoint_var", "str")
    model_var: str | None = fld("model_var", "str")
    extensions: Extensions = ext()


@record(kw_only=True)
class ServiceNetwork:
    """A service's attachment to a network."""

    aliases: tuple[str, ...] = fld("aliases", "strlist", factory=tuple)
    driver_opts: Mapping = fld("driver_opts", "options", factory=dict)
    gw_priority: int | None = fld("gw_priority", "int")
    interface_name: str | None = fld("interface_name", "str")
    ipv4_address: str | None = fld("ipv4_address", "str")
    ipv6_address: str | None = fld("ipv6_address", "str")
    link_local_ips: tuple[str, ...] = fld("link_local_ips", "strlist", factory=tuple)
    mac_address: str | None = fld("mac_address", "str")
    priority: int | None = fld("priority", "int")
    extensions: Extensions = ext()


@record(kw_only=True)
class Port:
    """A port mapping in long syntax; published is a string because it may be a range."""

    name: str | None = fld("name", "str")
    mode: str | None = fld("mode", "str")
    host_ip: str | None = fld("host_ip", "str")
    target: int | None = fld("target", "int")
    published: str | None = fld("published", "str")
    protocol: str | None = fld("protocol", "str")
    app_protocol: str | None = fld("app_protocol", "str")
    extensions: Extensions = ext()


@record(kw_only=True)
class ServiceProvider:
    type: str | None = fld("type", "str")
    options: dict[str, tuple[str, ...]] = fld("options", "multioptions", factory=dict)
    extensions: Extensions = ext()


@record(kw_only=True)
class VolumeBind:
    selinux: str | None = fld("selinux", "str")
    propagation: str | None = fld("propagation", "str")
    create_host_path: bool = fld("create_host_path", "bool", default=False)
    recursive: str | None = fld("recursive", "str")
    extensions: Extensions = ext()


@record(kw_only=True)
class VolumeVolume:
    labels: Mapping = fld("labels", "mapping", factory=dict)
    nocopy: bool = fld("nocopy", "bool", default=False)
    subpath: str | None = fld("subpath", "str")
    extensions: Extensions = ext()


@record(kw_only=True)
class VolumeTmpfs:
    size: int | None = fld("size", "bytes")
    mode: int | None = fld("mode", "int")
    extensions: Extensions = ext()


@record(kw_only=True)
class VolumeImage:
    subpath: str | None = fld("subpath", "str")
    extensions: Extensions = ext()


@record(kw_only=True)
class Mount:
    """A service volume in long syntax: bind, volume, tmpfs, npipe, cluster or image."""

    type: str | None = fld("type", "str")
    source: str | None = fld("source", "str")
    target: str | None = fld("target", "str")
    read_only: bool = fld("read_only", "bool", default=False)
    consistency: str | None = fld("consistency", "str")
    bind: VolumeBind | None = fld("bind", VolumeBind)
    volume: VolumeVolume | None = fld("volume", VolumeVolume)
    tmpfs: VolumeTmpfs | None = fld("tmpfs", VolumeTmpfs)
    image: VolumeImage | None = fld("image", VolumeImage)
    extensions: Extensions = ext()


@record(kw_only=True)
class Service:
    """One service, with every key in long syntax. `name` is the key under `services:`."""

    name: str = fld("name", "name", default="", compare=True)
    profiles: tuple[str, ...] = fld("profiles", "strlist", factory=tuple)
    annotations: Mapping = fld("annotations", "mapping", factory=dict)
    attach: bool | None = fld("attach", "bool", ptr=True)
    build: Build | None = fld("build", Build)
    develop: Develop | None = fld("develop", Develop)
    blkio_config: BlkioConfig | None = fld("blkio_config", BlkioConfig)
    cap_add: tuple[str, ...] = fld("cap_add", "strlist", factory=tuple)
    cap_drop: tuple[str, ...] = fld("cap_drop", "strlist", factory=tuple)
    cgroup_parent: str | None = fld("cgroup_parent", "str")
    cgroup: str | None = fld("cgroup", "str")
    cpu_count: int | None = fld("cpu_count", "int")
    cpu_percent: float | None = fld("cpu_percent", "float32")
    cpu_period: int | None = fld("cpu_period", "int")
    cpu_quota: int | None = fld("cpu_quota", "int")
    cpu_rt_period: int | None = fld("cpu_rt_period", "int")
    cpu_rt_runtime: int | None = fld("cpu_rt_runtime", "int")
    cpus: float | None = fld("cpus", "float32")
    cpuset: str | None = fld("cpuset", "str")
    cpu_shares: int | None = fld("cpu_shares", "int")
    command: tuple[str, ...] | None = fld("command", "command", omit=False)
    configs: tuple[FileReference, ...] = fld("configs", ("list", FileReference), factory=tuple)
    container_name: str | None = fld("container_name", "str")
    credential_spec: CredentialSpec | None = fld("credential_spec", CredentialSpec)
    depends_on: dict[str, Dependency] = fld("depends_on", ("map", Dependency), factory=dict)
    deploy: Deploy | None = fld("deploy", Deploy)
    device_cgroup_rules: tuple[str, ...] = fld("device_cgroup_rules", "strlist", factory=tuple)
    devices: tuple[DeviceMapping, ...] = fld("devices", ("list", DeviceMapping), factory=tuple)
    dns: tuple[str, ...] = fld("dns", "strlist", factory=tuple)
    dns_opt: tuple[str, ...] = fld("dns_opt", "strlist", factory=tuple)
    dns_search: tuple[str, ...] = fld("dns_search", "strlist", factory=tuple)
    dockerfile: str | None = fld("dockerfile", "str")
    domainname: str | None = fld("domainname", "str")
    entrypoint: tuple[str, ...] | None = fld("entrypoint", "command", omit=False)
    provider: ServiceProvider | None = fld("provider", ServiceProvider)
    environment: dict[str, str | None] = fld("environment", "mapping_eq", factory=dict)
    env_file: tuple[Any, ...] = fld("env_file", "any_list", factory=tuple)
    expose: tuple[str, ...] = fld("expose", "strlist", factory=tuple)
    extends: Extends | None = fld("extends", Extends)
    external_links: tuple[str, ...] = fld("external_links", "strlist", factory=tuple)
    extra_hosts: dict[str, tuple[str, ...]] = fld("extra_hosts", "hosts", factory=dict)
    group_add: tuple[str, ...] = fld("group_add", "strlist", factory=tuple)
    gpus: tuple[DeviceRequest, ...] = fld("gpus", "gpus", factory=tuple)
    hostname: str | None = fld("hostname", "str")
    healthcheck: Healthcheck | None = fld("healthcheck", Healthcheck)
    image: str | None = fld("image", "str")
    init: bool | None = fld("init", "bool", ptr=True)
    ipc: str | None = fld("ipc", "str")
    isolation: str | None = fld("isolation", "str")
    labels: Mapping = fld("labels", "labels", factory=dict)
    label_file: tuple[str, ...] = fld("label_file", "strlist", factory=tuple)
    links: tuple[str, ...] = fld("links", "strlist", factory=tuple)
    logging: Logging | None = fld("logging", Logging)
    log_driver: str | None = fld("log_driver", "str")
    log_opt: Mapping = fld("log_opt", "mapping", factory=dict)
    mem_limit: int | None = fld("mem_limit", "bytes")
    mem_reservation: int | None = fld("mem_reservation", "bytes")
    memswap_limit: int | None = fld("memswap_limit", "bytes")
    mem_swappiness: int | None = fld("mem_swappiness", "bytes")
    mac_address: str | None = fld("mac_address", "str")
    models: dict[str, ServiceModel | None] = fld("models", ("map_nullable", ServiceModel), factory=dict)
    net: str | None = fld("net", "str")
    network_mode: str | None = fld("network_mode", "str")
    networks: dict[str, ServiceNetwork | None] = fld("networks", ("map_nullable", ServiceNetwork), factory=dict)
    oom_kill_disable: bool = fld("oom_kill_disable", "bool", default=False)
    oom_score_adj: int | None = fld("oom_score_adj", "int")
    pid: str | None = fld("pid", "str")
    pids_limit: int | None = fld("pids_limit", "int")
    platform: str | None = fld("platform", "str")
    ports: tuple[Port, ...] = fld("ports", ("list", Port), factory=tuple)
    privileged: bool = fld("privileged", "bool", default=False)
    pull_policy: str | None = fld("pull_policy", "str")
    read_only: bool = fld("read_only", "bool", default=False)
    restart: str | None = fld("restart", "str")
    runtime: str | None = fld("runtime", "str")
    scale: int | None = fld("scale", "int", ptr=True)
    secrets: tuple[FileReference, ...] = fld("secrets", ("list", FileReference), factory=tuple)
    security_opt: tuple[str, ...] = fld("security_opt", "strlist", factory=tuple)
    shm_size: int | None = fld("shm_size", "bytes")
    stdin_open: bool = fld("stdin_open", "bool", default=False)
    stop_grace_period: Duration | None = fld("stop_grace_period", "duration", ptr=True)
    stop_signal: str | None = fld("stop_signal", "str")
    storage_opt: Mapping = fld("storage_opt", "mapping", factory=dict)
    sysctls: Mapping = fld("sysctls", "mapping", factory=dict)
    tmpfs: tuple[str, ...] = fld("tmpfs", "strlist", factory=tuple)
    tty: bool = fld("tty", "bool", default=False)
    ulimits: dict[str, Ulimit] = fld("ulimits", "ulimits", factory=dict)
    use_api_socket: bool = fld("use_api_socket", "bool", default=False)
    user: str | None = fld("user", "str")
    userns_mode: str | None = fld("userns_mode", "str")
    uts: str | None = fld("uts", "str")
    volume_driver: str | None = fld("volume_driver", "str")
    volumes: tuple[Mount, ...] = fld("volumes", ("list", Mount), factory=tuple)
    volumes_from: tuple[str, ...] = fld("volumes_from", "strlist", factory=tuple)
    working_dir: str | None = fld("working_dir", "str")
    pre_start: tuple[Hook, ...] = fld("pre_start", ("list", Hook), factory=tuple)
    post_start: tuple[Hook, ...] = fld("post_start", ("list", Hook), factory=tuple)
    pre_stop: tuple[Hook, ...] = fld("pre_stop", ("list", Hook), factory=tuple)
    extensions: Extensions = ext()

    @property
    def replicas(self) -> int:
        """How many containers Compose runs: scale, else deploy.replicas, else 1."""
        if self.scale is not None:
            return self.scale
        if self.deploy is not None and self.deploy.replicas is not None:
            return self.deploy.replicas
        return 1


@record(kw_only=True)
class IPAMPool:
    subnet: str | None = fld("subnet", "str")
    gateway: str | None = fld("gateway", "str")
    ip_range: str | None = fld("ip_range", "str")
    aux_addresses: Mapping = fld("aux_addresses", "mapping", factory=dict)
    extensions: Extensions = ext()


@record(kw_only=True)
class IPAM:
    driver: str | None = fld("driver", "str")
    config: tuple[IPAMPool, ...] = fld("config", ("list", IPAMPool), factory=tuple)
    options: Mapping = fld("options", "options", factory=dict)
    extensions: Extensions = ext()


@record(kw_only=True)
class Network:
    """A top-level network."""

    name: str | None = fld("name", "str")
    driver: str | None = fld("driver", "str")
    driver_opts: Mapping = fld("driver_opts", "options", factory=dict)
    ipam: IPAM = fld("ipam", IPAM, factory=IPAM, omit=False)
    external: bool = fld("external", "bool", default=False)
    internal: bool = fld("internal", "bool", default=False)
    attachable: bool = fld("attachable", "bool", default=False)
    labels: Mapping = fld("labels", "labels", factory=dict)
    enable_ipv4: bool | None = fld("enable_ipv4", "bool", ptr=True)
    enable_ipv6: bool | None = fld("enable_ipv6", "bool", ptr=True)
    extensions: Extensions = ext()


@record(kw_only=True)
class Volume:
    """A top-level named volume."""

    name: str | None = fld("name", "str")
    driver: str | None = fld("driver", "str")
    driver_opts: Mapping = fld("driver_opts", "options", factory=dict)
    external: bool = fld("external", "bool", default=False)
    labels: Mapping = fld("labels", "labels", factory=dict)
    extensions: Extensions = ext()


@record(kw_only=True)
class FileObject:
    """A top-level secret or config: file, environment, content or external source."""

    name: str | None = fld("name", "str")
    file: str | None = fld("file", "str")
    environment: str | None = fld("environment", "str")
    content: str | None = fld("content", "str")
    external: bool = fld("external", "bool", default=False)
    labels: Mapping = fld("labels", "labels", factory=dict)
    driver: str | None = fld("driver", "str")
    driver_opts: Mapping = fld("driver_opts", "mapping", factory=dict)
    template_driver: str | None = fld("template_driver", "str")
    extensions: Extensions = ext()


@record(kw_only=True)
class Model:
    """A top-level AI model definition."""

    name: str | None = fld("name", "str")
    model: str | None = fld("model", "str")
    context_size: int | None = fld("context_size", "int")
    runtime_flags: tuple[str, ...] = fld("runtime_flags", "strlist", factory=tuple)
    extensions: Extensions = ext()


@record(kw_only=True)
class Project:
    """A loaded Compose project. working_dir and files are where it came from, not part of equality."""

    name: str = fld("name", "str", default="")
    services: dict[str, Service] = fld("services", ("map", Service), factory=dict, omit=False)
    networks: dict[str, Network] = fld("networks", ("map", Network), factory=dict)
    volumes: dict[str, Volume] = fld("volumes", ("map", Volume), factory=dict)
    secrets: dict[str, FileObject] = fld("secrets", ("map", FileObject), factory=dict)
    configs: dict[str, FileObject] = fld("configs", ("map", FileObject), factory=dict)
    models: dict[str, Model] = fld("models", ("map", Model), factory=dict)
    extensions: Extensions = ext()
    working_dir: str | None = field(default=None, compare=False, metadata={"key": None, "kind": "meta"})
    files: tuple[str, ...] = field(default=(), compare=False, metadata={"key": None, "kind": "meta"})
