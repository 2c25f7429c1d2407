"""Service keys to `docker create` flags, following how Docker Compose builds its container config."""

from __future__ import annotations

import posixpath
import shlex
from decimal import Decimal

from ...model import Service
from ...model.types import DeviceRequest, Healthcheck, Resource
from ...model.values import to_float32
from ..common import is_secret_env, restart_policy
from .context import COMPOSE_VERSION, IMAGE_ID, NUMBER, PROJECT_DIR, Context
from .mounts import mount_args
from .networking import main_network_args, port_args
from .quote import Arg, Word, csv_field, word

# Compose's own container labels (pkg/api/labels.go); they win over user labels of the same name.
PROJECT_LABEL = "com.docker.compose.project"
SERVICE_LABEL = "com.docker.compose.service"
VERSION_LABEL = "com.docker.compose.version"
WORKING_DIR_LABEL = "com.docker.compose.project.working_dir"
CONFIG_FILES_LABEL = "com.docker.compose.project.config_files"
ONEOFF_LABEL = "com.docker.compose.oneoff"
CONFIG_HASH_LABEL = "com.docker.compose.config-hash"
NUMBER_LABEL = "com.docker.compose.container-number"
DEPENDS_LABEL = "com.docker.compose.depends_on"
IMAGE_LABEL = "com.docker.compose.image"
COMPOSE_LABELS = frozenset({PROJECT_LABEL, SERVICE_LABEL, VERSION_LABEL, WORKING_DIR_LABEL, CONFIG_FILES_LABEL,
                            ONEOFF_LABEL, CONFIG_HASH_LABEL, NUMBER_LABEL, DEPENDS_LABEL, IMAGE_LABEL})


def flag(name: str, value: str | Word) -> Word:
    """--name=value: the = form keeps values that start with a dash from being read as flags."""
    return word(f"--{name}=", value)


def go_bool(value: bool) -> str:
    return "true" if value else "false"


def create_args(ctx: Context, svc: Service) -> list[Arg]:
    """Every flag of `docker create` for one container of svc ($n is its number), without the image."""
    path = ("services", svc.name)
    args: list[Arg] = [flag("name", ctx.container_name(svc))]
    args += label_args(ctx, svc)
    args += identity_args(svc)
    args += command_flag_args(svc)
    args += env_args(ctx, svc)
    args += healthcheck_args(ctx, svc.healthcheck, path + ("healthcheck",))
    args += restart_args(ctx, svc)
    args += port_args(ctx, svc)
    args += main_network_args(ctx, svc)
    args += mount_args(ctx, svc)
    args += security_args(ctx, svc)
    args += namespace_args(ctx, svc)
    args += resource_args(ctx, svc)
    args += device_args(ctx, svc)
    args += misc_host_args(ctx, svc)
    return args


def label_args(ctx: Context, svc: Service) -> list[Arg]:
    """User labels, then the labels Compose puts on every service container."""
    args: list[Arg] = [flag("label", f"{k}={v}") for k, v in svc.labels.items() if k not in COMPOSE_LABELS]
    files = word()
    for i, f in enumerate(ctx.project.files):
        files = files + ("," if i else "") + ctx.host_path(f)
    deps = ",".join(f"{name}:{dep.condition or 'service_started'}:{go_bool(dep.restart)}"
                    for name, dep in sorted(svc.depends_on.items()))
    args += [
        flag("label", f"{PROJECT_LABEL}={ctx.project.name}"),
        flag("label", f"{SERVICE_LABEL}={svc.name}"),
        flag("label", f"{VERSION_LABEL}={COMPOSE_VERSION}"),
        flag("label", word(f"{WORKING_DIR_LABEL}=", PROJECT_DIR)),
        flag("label", word(f"{CONFIG_FILES_LABEL}=", files)),
        flag("label", f"{ONEOFF_LABEL}=False"),
        flag("label", word(f"{NUMBER_LABEL}=", NUMBER)),
        flag("label", f"{DEPENDS_LABEL}={deps}"),
        flag("label", word(f"{IMAGE_LABEL}=", IMAGE_ID)),
    ]
    return args


def identity_args(svc: Service) -> list[Arg]:
    args: list[Arg] = []
    for key, name in (("hostname", "hostname"), ("domainname", "domainname"), ("user", "user"),
                      ("working_dir", "workdir"), ("stop_signal", "stop-signal"), ("platform", "platform"),
                      ("runtime", "runtime"), ("isolation", "isolation")):
        value = getattr(svc, key)
        if value:
            args.append(flag(name, value))
    if svc.stop_grace_period is not None:
        # Compose truncates to whole seconds (ToSeconds), as --stop-timeout does.
        args.append(flag("stop-timeout", str(int(svc.stop_grace_period.nanoseconds // 1_000_000_000))))
    if svc.tty:
        args.append(word("--tty"))
    if svc.stdin_open:
        args.append(word("--interactive"))
    if svc.init is not None:
        args.append(flag("init", go_bool(svc.init)))
    return args


def command_flag_args(svc: Service) -> list[Arg]:
    """--entrypoint takes one word: the first element of entrypoint (the rest goes before the command)."""
    if svc.entrypoint is None:
        return []
    return [flag("entrypoint", svc.entrypoint[0] if svc.entrypoint else "")]


def command_words(svc: Service) -> list[str]:
    """The words after the image: the rest of entrypoint, then command (exact argv, no shell involved)."""
    rest = list(svc.entrypoint[1:]) if svc.entrypoint else []
    return rest + list(svc.command or ())


def env_args(ctx: Context, svc: Service) -> list[Arg]:
    # A variable without a value is passed by name: docker takes it from the script's environment
    # when it runs, as Compose takes it from the shell that runs `docker compose up`. So are the
    # variables option secret_env names, unless the user asked for secrets to be written out.
    hidden = [k for k, v in svc.environment.items()
              if v is not None and not ctx.inline_secrets and is_secret_env(ctx.secret_env, k)]
    if hidden:
        ctx.warn("dockerrun-secret-env", f"{', '.join(hidden)}: secret values (option secret_env) are not written "
                 "into the script; export them before running it", ("services", svc.name, "environment"))
    return [flag("env", k if v is None or k in hidden else f"{k}={v}") for k, v in svc.environment.items()]


def healthcheck_args(ctx: Context, hc: Healthcheck | None, path: tuple) -> list[Arg]:
    if hc is None:
        return []
    if hc.disable or tuple(hc.test) == ("NONE",):
        return [word("--no-healthcheck")]
    args: list[Arg] = []
    if hc.test:
        kind, rest = hc.test[0], list(hc.test[1:])
        if kind == "CMD-SHELL":
            args.append(flag("health-cmd", " ".join(rest)))
        elif kind == "CMD":
            args.append(flag("health-cmd", shlex.join(rest)))
            ctx.info("dockerrun-healthcheck-shell",
                     "docker's --health-cmd only takes a shell command: the exec form runs through the "
                     "image's /bin/sh with every word quoted", path + ("test",))
        else:
            ctx.error("dockerrun-healthcheck-test", f"healthcheck test must start with CMD, CMD-SHELL or NONE, not {kind!r}",
                      path + ("test",))
    for key, name in (("interval", "health-interval"), ("timeout", "health-timeout"),
                      ("start_period", "health-start-period"), ("start_interval", "health-start-interval")):
        value = getattr(hc, key)
        if value is not None and value.nanoseconds:
            args.append(flag(name, str(value)))
    if hc.retries:
        args.append(flag("health-retries", str(hc.retries)))
    return args


_CONDITIONS = {"none": "no", "no": "no", "on-failure": "on-failure", "unless-stopped": "unless-stopped",
               "any": "always", "always": "always"}


def restart_args(ctx: Context, svc: Service) -> list[Arg]:
    """restart, overridden by deploy.restart_policy as Compose does (getRestartPolicy)."""
    name, count = None, None
    if svc.restart:
        name, count = restart_policy(svc.restart)
        name = _CONDITIONS.get(name, name)
    rp = svc.deploy.restart_policy if svc.deploy else None
    if rp is not None:
        name = _CONDITIONS.get(rp.condition or "", rp.condition or "")
        count = rp.max_attempts
        for key in ("delay", "window"):
            if getattr(rp, key) is not None:
                ctx.info("dockerrun-swarm-only", f"deploy.restart_policy.{key} only applies to Swarm services; "
                         "Docker Compose ignores it as well", ("services", svc.name, "deploy", "restart_policy", key))
    if not name:
        return []
    if name == "on-failure" and count:
        return [flag("restart", f"on-failure:{count}")]
    return [flag("restart", name)]


def security_args(ctx: Context, svc: Service) -> list[Arg]:
    args: list[Arg] = [flag("cap-add", c) for c in svc.cap_add]
    args += [flag("cap-drop", c) for c in svc.cap_drop]
    if svc.privileged:
        args.append(word("--privileged"))
    if svc.read_only:
        args.append(word("--read-only"))
    for opt in svc.security_opt:
        key, sep, value = opt.partition("=")
        if not sep and ":" in opt:
            key, sep, value = opt.partition(":")
        if key == "seccomp" and value not in ("unconfined", "builtin"):
            # a profile file: relative to the project folder, as Compose reads it
            args.append(flag("security-opt", word("seccomp=", _project_path(ctx, value))))
        else:
            args.append(flag("security-opt", opt))
    args += [flag("group-add", g) for g in svc.group_add]
    if svc.userns_mode:
        args.append(flag("userns", svc.userns_mode))
    return args


def _project_path(ctx: Context, value: str) -> Word:
    if posixpath.isabs(value) or not ctx.project.working_dir:
        return ctx.host_path(value)
    return ctx.host_path(posixpath.join(ctx.project.working_dir, value))


def _shared_namespace(ctx: Context, value: str) -> str:
    """service:<name> means the first container of that service, container:<name> stays as it is."""
    if value.startswith("service:"):
        return "container:" + ctx.first_container(value[len("service:"):])
    return value


def namespace_args(ctx: Context, svc: Service) -> list[Arg]:
    args: list[Arg] = []
    if svc.pid:
        args.append(flag("pid", _shared_namespace(ctx, svc.pid)))
    if svc.ipc:
        args.append(flag("ipc", _shared_namespace(ctx, svc.ipc)))
    if svc.uts:
        args.append(flag("uts", svc.uts))
    if svc.cgroup:
        args.append(flag("cgroupns", svc.cgroup))
    if svc.cgroup_parent:
        args.append(flag("cgroup-parent", svc.cgroup_parent))
    return args


def nano_cpus(cpus: float) -> int:
    """NanoCPUs as Compose computes them: a float32 multiplication, truncated."""
    return int(to_float32(to_float32(cpus) * 1e9))


def cpus_text(nanos: int) -> str:
    """A --cpus value that the docker CLI turns back into exactly `nanos`."""
    text = format(Decimal(nanos) / Decimal(1_000_000_000), "f")
    return text.rstrip("0").rstrip(".") if "." in text else text


def resource_args(ctx: Context, svc: Service) -> list[Arg]:
    """Resources as getDeployResources builds them: service keys first, deploy.resources over them."""
    path = ("services", svc.name)
    memory = svc.mem_limit
    reservation = svc.mem_reservation
    nanos = nano_cpus(svc.cpus) if svc.cpus else 0
    pids = svc.pids_limit or None
    limits: Resource | None = svc.deploy.resources.limits if svc.deploy else None
    reservations: Resource | None = svc.deploy.resources.reservations if svc.deploy else None
    if limits is not None:
        memory = limits.memory or memory
        if limits.cpus:
            nanos = nano_cpus(limits.cpus)
        if limits.pids and limits.pids > 0:
            pids = limits.pids
        if limits.devices or limits.generic_resources:
            ctx.info("dockerrun-swarm-only", "device and generic resource limits only apply to Swarm; Docker "
                     "Compose ignores them as well", path + ("deploy", "resources", "limits"))
    if reservations is not None:
        reservation = reservations.memory or reservation
        if reservations.cpus:
            ctx.info("dockerrun-swarm-only", "a CPU reservation only applies to Swarm services; Docker Compose "
                     "ignores it as well", path + ("deploy", "resources", "reservations", "cpus"))
        if reservations.pids:
            ctx.info("dockerrun-swarm-only", "a pids reservation has no effect on a container; Docker Compose "
                     "ignores it as well", path + ("deploy", "resources", "reservations", "pids"))
        if reservations.generic_resources:
            ctx.info("dockerrun-swarm-only", "generic resources only apply to Swarm; Docker Compose ignores them "
                     "as well", path + ("deploy", "resources", "reservations", "generic_resources"))
    args: list[Arg] = []
    if memory:
        args.append(flag("memory", str(memory)))
    if svc.memswap_limit:
        args.append(flag("memory-swap", str(svc.memswap_limit)))
    if svc.mem_swappiness:
        args.append(flag("memory-swappiness", str(svc.mem_swappiness)))
    if reservation:
        args.append(flag("memory-reservation", str(reservation)))
    if svc.oom_kill_disable:
        args.append(word("--oom-kill-disable"))
    if svc.oom_score_adj:
        args.append(flag("oom-score-adj", str(svc.oom_score_adj)))
    if nanos:
        args.append(flag("cpus", cpus_text(nanos)))
    for key, name in (("cpu_count", "cpu-count"), ("cpu_period", "cpu-period"), ("cpu_quota", "cpu-quota"),
                      ("cpu_rt_period", "cpu-rt-period"), ("cpu_rt_runtime", "cpu-rt-runtime"),
                      ("cpu_shares", "cpu-shares")):
        value = getattr(svc, key)
        if value:
            args.append(flag(name, str(value)))
    if svc.cpu_percent:
        args.append(flag("cpu-percent", str(int(to_float32(to_float32(svc.cpu_percent) * 100)))))
    if svc.cpuset:
        args.append(flag("cpuset-cpus", svc.cpuset))
    if pids:
        args.append(flag("pids-limit", str(pids)))
    if svc.blkio_config is not None:
        b = svc.blkio_config
        if b.weight:
            args.append(flag("blkio-weight", str(b.weight)))
        args += [flag("blkio-weight-device", f"{d.path}:{d.weight}") for d in b.weight_device]
        for key, name in (("device_read_bps", "device-read-bps"), ("device_read_iops", "device-read-iops"),
                          ("device_write_bps", "device-write-bps"), ("device_write_iops", "device-write-iops")):
            args += [flag(name, f"{d.path}:{d.rate}") for d in getattr(b, key)]
    for name, limit in svc.ulimits.items():
        soft = limit.soft or limit.single or 0
        hard = limit.hard or limit.single or 0
        args.append(flag("ulimit", f"{name}={soft}:{hard}" if soft != hard else f"{name}={soft}"))
    return args


def gpu_request(ctx: Context, req: DeviceRequest, path: tuple, from_gpus_key: bool) -> Arg | None:
    """A --gpus value. The docker CLI always adds the "gpu" capability, as Compose does for `gpus`."""
    caps = list(req.capabilities)
    if not from_gpus_key:
        if "gpu" not in caps:
            ctx.warn("dockerrun-device-request", "docker run can only request devices with the \"gpu\" "
                     f"capability; this request ({', '.join(caps) or 'no capabilities'}) is not applied", path)
            return None
        caps = [c for c in caps if c != "gpu"]
    fields: list[str] = []
    if req.driver:
        fields.append(f"driver={req.driver}")
    if req.count is not None:
        fields.append("count=all" if req.count < 0 else f"count={req.count}")
    if req.device_ids:
        fields.append("device=" + ",".join(req.device_ids))
    if caps:
        fields.append("capabilities=" + ",".join(caps))
    if req.options:
        fields.append("options=" + ",".join(f"{k}={v}" for k, v in req.options.items()))
    return flag("gpus", ",".join(csv_field(f) for f in fields) if fields else "count=1")


def device_args(ctx: Context, svc: Service) -> list[Arg]:
    path = ("services", svc.name)
    args: list[Arg] = []
    for d in svc.devices:
        if d.source and d.source == d.target and "=" in d.source and "/" in d.source.split("=")[0]:
            args.append(flag("device", d.source))  # a CDI device name
            continue
        spec = d.source or ""
        if d.target:
            spec += ":" + d.target
        if d.permissions:
            spec += ":" + d.permissions
        args.append(flag("device", spec))
    args += [flag("device-cgroup-rule", r) for r in svc.device_cgroup_rules]
    for i, req in enumerate(svc.gpus):
        a = gpu_request(ctx, req, path + ("gpus", i), True)
        if a is not None:
            args.append(a)
    reservations = svc.deploy.resources.reservations if svc.deploy else None
    if reservations is not None:
        for i, req in enumerate(reservations.devices):
            a = gpu_request(ctx, req, path + ("deploy", "resources", "reservations", "devices", i), False)
            if a is not None:
                args.append(a)
    return args


def misc_host_args(ctx: Context, svc: Service) -> list[Arg]:
    args: list[Arg] = [flag("dns", d) for d in svc.dns]
    args += [flag("dns-search", d) for d in svc.dns_search]
    args += [flag("dns-option", d) for d in svc.dns_opt]
    for host, ips in svc.extra_hosts.items():
        # host=ip (not host:ip) so that IPv6 addresses need no brackets; docker stores host:ip either way
        args += [flag("add-host", f"{host}={ip}") for ip in ips]
    args += [flag("sysctl", f"{k}={v}") for k, v in svc.sysctls.items()]
    args += [flag("storage-opt", f"{k}={v}") for k, v in svc.storage_opt.items()]
    args += [flag("annotation", f"{k}={v}") for k, v in svc.annotations.items()]
    if svc.shm_size:
        args.append(flag("shm-size", str(svc.shm_size)))
    if svc.logging is not None:
        if svc.logging.driver:
            args.append(flag("log-driver", svc.logging.driver))
        args += [flag("log-opt", f"{k}={v}") for k, v in svc.logging.options.items()]
    if svc.volume_driver:
        args.append(flag("volume-driver", svc.volume_driver))
    for ref in svc.volumes_from:
        # Compose resolves service[:mode] to that service's first container and drops the mode.
        head = ref.split(":")
        target = head[1] if head[0] == "container" and len(head) > 1 else ctx.first_container(head[0])
        args.append(flag("volumes-from", target))
    args += link_args(ctx, svc)
    if svc.use_api_socket:
        args.append(word("--use-api-socket"))
    return args


def link_args(ctx: Context, svc: Service) -> list[Arg]:
    """Links as Compose computes them (getLinks): three names per linked container."""
    args: list[Arg] = []
    project = ctx.project
    for raw in svc.links:
        target, _, alias = raw.partition(":")
        alias = alias or target
        other = project.services.get(target)
        count = other.replicas if other is not None else 1
        for i in range(1, max(count, 0) + 1):
            cname = other.container_name if other is not None and other.container_name else f"{project.name}-{target}-{i}"
            args.append(flag("link", f"{cname}:{alias}"))
            args.append(flag("link", word(f"{cname}:{target}-", NUMBER)))
            args.append(flag("link", word(f"{cname}:{project.name}-{target}-", NUMBER)))
    for raw in svc.external_links:
        target, _, alias = raw.partition(":")
        args.append(flag("link", f"{target}:{alias or target}"))
    return args
