"""The keys docker run has no flag for: each one is a diagnostic here and a comment in the script."""

from __future__ import annotations


from ...diagnostics import Level
from ...model import Service
from ...model.fields import field_default
from .context import Context
from ... import records

# What happens to every field of Service; a test checks that no field is missing from this table.
FLAG = "flag"  # becomes docker create flags
SCRIPT = "script"  # handled by the script's steps (build, pull, replicas, waits, hooks, injection)
LOADER = "loader"  # resolved while loading (merged into other keys), nothing left to do
REPORTED = "reported"  # reported below

SERVICE_KEYS: dict[str, str] = {
    "name": SCRIPT, "profiles": LOADER, "annotations": FLAG, "attach": REPORTED, "build": SCRIPT,
    "develop": REPORTED, "blkio_config": FLAG, "cap_add": FLAG, "cap_drop": FLAG, "cgroup_parent": FLAG,
    "cgroup": FLAG, "cpu_count": FLAG, "cpu_percent": FLAG, "cpu_period": FLAG, "cpu_quota": FLAG,
    "cpu_rt_period": FLAG, "cpu_rt_runtime": FLAG, "cpus": FLAG, "cpuset": FLAG, "cpu_shares": FLAG,
    "command": FLAG, "configs": FLAG, "container_name": FLAG, "credential_spec": REPORTED,
    "depends_on": SCRIPT, "deploy": FLAG, "device_cgroup_rules": FLAG, "devices": FLAG, "dns": FLAG,
    "dns_opt": FLAG, "dns_search": FLAG, "dockerfile": REPORTED, "domainname": FLAG, "entrypoint": FLAG,
    "provider": REPORTED, "environment": FLAG, "env_file": LOADER, "expose": FLAG, "extends": LOADER,
    "external_links": FLAG, "extra_hosts": FLAG, "group_add": FLAG, "gpus": FLAG, "hostname": FLAG,
    "healthcheck": FLAG, "image": SCRIPT, "init": FLAG, "ipc": FLAG, "isolation": FLAG, "labels": FLAG,
    "label_file": LOADER, "links": FLAG, "logging": FLAG, "log_driver": REPORTED, "log_opt": REPORTED,
    "mem_limit": FLAG, "mem_reservation": FLAG, "memswap_limit": FLAG, "mem_swappiness": FLAG,
    "mac_address": FLAG, "models": REPORTED, "net": REPORTED, "network_mode": FLAG, "networks": FLAG,
    "oom_kill_disable": FLAG, "oom_score_adj": FLAG, "pid": FLAG, "pids_limit": FLAG, "platform": FLAG,
    "ports": FLAG, "privileged": FLAG, "pull_policy": SCRIPT, "read_only": FLAG, "restart": FLAG,
    "runtime": FLAG, "scale": SCRIPT, "secrets": FLAG, "security_opt": FLAG, "shm_size": FLAG,
    "stdin_open": FLAG, "stop_grace_period": FLAG, "stop_signal": FLAG, "storage_opt": FLAG, "sysctls": FLAG,
    "tmpfs": FLAG, "tty": FLAG, "ulimits": FLAG, "use_api_socket": FLAG, "user": FLAG, "userns_mode": FLAG,
    "uts": FLAG, "volume_driver": FLAG, "volumes": FLAG, "volumes_from": FLAG, "working_dir": FLAG,
    "pre_start": REPORTED, "post_start": SCRIPT, "pre_stop": SCRIPT, "extensions": LOADER,
}


_SERVICE_DEFAULTS = {f.name: field_default(f) for f in records.fields(Service)}


def _set(svc: Service, key: str) -> bool:
    return getattr(svc, key) != _SERVICE_DEFAULTS[key]


def report_unsupported(ctx: Context, svc: Service) -> list[str]:
    """Diagnostics for the keys of svc that the script cannot apply; returns the comment lines for the script."""
    path = ("services", svc.name)
    notes: list[str] = []

    def say(code: str, level: Level, key: str | tuple, message: str) -> None:
        keys = key if isinstance(key, tuple) else (key,)
        ctx.report(code, level, message, path + keys)
        notes.append(f"{'.'.join(str(k) for k in keys)}: {message}")

    if _set(svc, "develop"):
        say("dockerrun-no-effect", Level.INFO, "develop", "file watching only exists in `docker compose watch`")
    if _set(svc, "attach"):
        say("dockerrun-no-effect", Level.INFO, "attach", "the script starts containers detached; attach has no effect")
    if _set(svc, "credential_spec"):
        say("dockerrun-no-effect", Level.INFO, "credential_spec",
            "Docker Compose does not apply credential_spec to containers either")
    for key in ("log_driver", "log_opt", "net", "dockerfile"):
        if _set(svc, key):
            say("dockerrun-no-effect", Level.INFO, key, "a legacy key that Docker Compose ignores as well")
    if _set(svc, "provider"):
        say("dockerrun-unsupported", Level.WARNING, "provider",
            "provider services run a Compose plugin; the script cannot, so this service gets no container")
    if _set(svc, "models"):
        say("dockerrun-unsupported", Level.WARNING, "models",
            "model runner models need Docker Compose; the script does not provide them")
    if _set(svc, "pre_start"):
        say("dockerrun-unsupported", Level.WARNING, "pre_start", "pre_start hooks are not run by the script")
    for name, dep in sorted(svc.depends_on.items()):
        if dep.restart:
            say("dockerrun-depends-restart", Level.INFO, ("depends_on", name, "restart"),
                "the script does not restart this service when that dependency is recreated")
    d = svc.deploy
    if d is not None:
        if d.mode and d.mode not in ("replicated",):
            say("dockerrun-swarm-only", Level.INFO, ("deploy", "mode"),
                f"deploy.mode {d.mode} only applies to Swarm; the script runs the service's replica count")
        if d.labels:
            say("dockerrun-swarm-only", Level.INFO, ("deploy", "labels"),
                "deploy.labels label Swarm services, not containers; Docker Compose ignores them as well")
        for key in ("update_config", "rollback_config", "endpoint_mode"):
            if getattr(d, key):
                say("dockerrun-swarm-only", Level.INFO, ("deploy", key),
                    f"deploy.{key} only applies to Swarm; Docker Compose ignores it as well")
        p = d.placement
        if p.constraints or p.preferences or p.max_replicas_per_node:
            say("dockerrun-swarm-only", Level.INFO, ("deploy", "placement"),
                "deploy.placement only applies to Swarm; Docker Compose ignores it as well")
    if svc.build is not None:
        b = svc.build
        for key in ("provenance", "sbom", "entitlements", "no_cache_filter", "privileged"):
            if _set_build(b, key):
                say("dockerrun-build-option", Level.INFO, ("build", key),
                    f"build.{key} is not passed to docker build")
        if len(b.platforms) > 1:
            say("dockerrun-build-option", Level.INFO, ("build", "platforms"),
                "docker build loads one platform into the engine: the script builds the first")
    return notes


def _set_build(build: object, key: str) -> bool:
    value = getattr(build, key)
    return bool(value)
