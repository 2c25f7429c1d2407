"""One Compose service as a Swarm stack service."""

from __future__ import annotations

import re
from typing import Any

from ...diagnostics import KeyPath
from ...model import Service
from ...model.types import FileReference, Healthcheck, Port, ServiceNetwork
from ..common import expand_published
from .context import Context
from .deploy import convert_deploy
from .handling import report_rest
from .storage import convert_mounts
from .values import FromShell, duration

# network_mode values that name one of Swarm's own networks, which a service joins as an external network
SWARM_BUILTIN_NETWORKS = ("host", "none")


def resolve_image(ctx: Context, svc: Service, path: KeyPath) -> str | None:
    """The image a service runs; Swarm cannot build, so build-only services need an image policy."""
    if svc.image:
        if svc.build is not None:
            ctx.info("swarm-build-dropped", f"build removed: Swarm runs image {svc.image}, which must be built "
                     "and pushed to a registry the nodes can pull from first", path + ("build",))
        return svc.image
    template = ctx.extra.get("image_for_build")
    if svc.build is not None and template:
        image = str(template).format(project=ctx.project.name, service=svc.name)
        ctx.info("swarm-image-from-build", f"build removed: the service runs image {image} (from extra "
                 "image_for_build), which must be built and pushed first", path + ("build",))
        return image
    if svc.build is not None:
        ctx.error("swarm-no-image", "the service has build but no image, and Swarm cannot build",
                  path + ("build",), hint="set image, or pass extra image_for_build such as "
                  "\"{project}-{service}:latest\"")
    else:
        ctx.error("swarm-no-image", "the service has no image", path)
    return None


def convert_service(ctx: Context, svc: Service, path: KeyPath, builtin_nets: dict[str, str]) -> dict[str, Any] | None:
    """The stack file mapping of one service, or None when Swarm cannot run it at all."""
    if svc.provider is not None:
        ctx.warn("swarm-unsupported", f"service removed: provider {svc.provider.type} services are run by docker "
                 "compose plugins, not by Swarm", path + ("provider",))
        return None
    out: dict[str, Any] = {}
    image = resolve_image(ctx, svc, path)
    if image is not None:
        out["image"] = image
    if svc.entrypoint is not None:
        if svc.entrypoint:
            out["entrypoint"] = list(svc.entrypoint)
        else:
            ctx.warn("swarm-unsupported", "entrypoint [] removed: Swarm cannot reset the image entrypoint "
                     "(an empty one means the image's own)", path + ("entrypoint",))
    if svc.command is not None:
        out["command"] = list(svc.command)
    if svc.working_dir:
        out["working_dir"] = svc.working_dir
    if svc.user:
        out["user"] = svc.user
    if svc.hostname:
        out["hostname"] = svc.hostname
    if svc.environment:
        out["environment"] = _environment(ctx, svc, path)
    if svc.labels:
        out["labels"] = dict(svc.labels)
    _scalars(ctx, svc, out)
    if svc.extra_hosts:
        out["extra_hosts"] = [f"{host}:{ip}" for host, ips in svc.extra_hosts.items() for ip in ips]
    if svc.ulimits:
        out["ulimits"] = _ulimits(ctx, svc, path)
    if svc.healthcheck is not None:
        out["healthcheck"] = _healthcheck(ctx, svc.healthcheck, path + ("healthcheck",))
    logging = _logging(ctx, svc, path)
    if logging:
        out["logging"] = logging
    if svc.credential_spec is not None:
        out["credential_spec"] = _credential_spec(ctx, svc, path)
    networks = _networks(ctx, svc, path, builtin_nets)
    if networks is not None:
        out["networks"] = networks
    ports = _ports(ctx, svc.ports, path)
    if ports:
        ctx.need((3, 2), "long port syntax")
        out["ports"] = ports
    mounts = convert_mounts(ctx, svc, path)
    if mounts:
        out["volumes"] = mounts
    for key, refs, since in (("secrets", svc.secrets, (3, 1)), ("configs", svc.configs, (3, 3))):
        if refs:
            ctx.need(since, f"services.*.{key}")
            out[key] = [_reference(ctx, r, path + (key, i)) for i, r in enumerate(refs)]
    deploy = convert_deploy(ctx, svc, path)
    if deploy:
        out["deploy"] = deploy
    if svc.depends_on:
        _report_depends_on(ctx, svc, path)
    if svc.extensions:
        ctx.need((3, 7), "service extensions")
        out.update(svc.extensions)
    report_rest(ctx, svc, path, skip=("depends_on",))
    return out


def _scalars(ctx: Context, svc: Service, out: dict[str, Any]) -> None:
    """The keys Swarm takes as they are."""
    for key in ("cap_add", "cap_drop", "dns", "dns_search"):
        value = getattr(svc, key)
        if value:
            out[key] = list(value)
    for key in ("read_only", "tty", "stdin_open"):
        if getattr(svc, key):
            out[key] = True
    if svc.init is not None:
        ctx.need((3, 7), "init")
        out["init"] = svc.init
    if svc.isolation:
        ctx.need((3, 5), "isolation")
        out["isolation"] = svc.isolation
    if svc.stop_signal:
        out["stop_signal"] = svc.stop_signal
    if svc.stop_grace_period is not None:
        out["stop_grace_period"] = duration(svc.stop_grace_period)
    if svc.sysctls:
        out["sysctls"] = dict(svc.sysctls)
    if svc.oom_score_adj is not None:
        ctx.need((3, 13), "oom_score_adj")
        out["oom_score_adj"] = svc.oom_score_adj


def _ulimits(ctx: Context, svc: Service, path: KeyPath) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for name, u in svc.ulimits.items():
        p = path + ("ulimits", name)
        if u.single is not None:
            out[name] = u.single
        else:
            soft, hard = u.soft, u.hard
            if soft is None or hard is None:
                given = soft if soft is not None else hard
                ctx.info("swarm-translated", f"ulimit {name} has only one of soft and hard; the stack file "
                         f"needs both, so both are {given}", p)
                soft = hard = given
            out[name] = {"soft": soft, "hard": hard}
        report_rest(ctx, u, p)
    return out


def _healthcheck(ctx: Context, hc: Healthcheck, path: KeyPath) -> dict[str, Any]:
    out: dict[str, Any] = {}
    if hc.disable:
        out["disable"] = True
        if hc.test:
            ctx.info("swarm-no-effect", "healthcheck test removed: disable is set and Swarm rejects both",
                     path + ("test",))
        report_rest(ctx, hc, path)
        return out
    if hc.test:
        out["test"] = list(hc.test)
    for key, since in (("interval", None), ("timeout", None), ("start_period", (3, 4)), ("start_interval", (3, 12))):
        value = getattr(hc, key)
        if value is not None:
            if since:
                ctx.need(since, f"healthcheck.{key}")
            out[key] = duration(value)
    if hc.retries is not None:
        out["retries"] = hc.retries
    report_rest(ctx, hc, path)
    return out


def _logging(ctx: Context, svc: Service, path: KeyPath) -> dict[str, Any]:
    out: dict[str, Any] = {}
    if svc.logging is not None:
        if svc.logging.driver:
            out["driver"] = svc.logging.driver
        if svc.logging.options:
            out["options"] = dict(svc.logging.options)
        report_rest(ctx, svc.logging, path + ("logging",))
    if svc.log_driver:
        if "driver" in out and out["driver"] != svc.log_driver:
            ctx.warn("swarm-conflict", f"log_driver {svc.log_driver} removed: logging.driver is set",
                     path + ("log_driver",))
        else:
            out["driver"] = svc.log_driver
    if svc.log_opt:
        if "options" in out:
            ctx.warn("swarm-conflict", "log_opt removed: logging.options is set", path + ("log_opt",))
        else:
            out["options"] = dict(svc.log_opt)
    return out


def _credential_spec(ctx: Context, svc: Service, path: KeyPath) -> dict[str, Any]:
    spec = svc.credential_spec
    assert spec is not None
    ctx.need((3, 3), "credential_spec")
    out: dict[str, Any] = {}
    if spec.config:
        ctx.need((3, 8), "credential_spec.config")
        out["config"] = spec.config
    if spec.file:
        out["file"] = spec.file
    if spec.registry:
        out["registry"] = spec.registry
    report_rest(ctx, spec, path + ("credential_spec",))
    return out


def _networks(ctx: Context, svc: Service, path: KeyPath, builtin_nets: dict[str, str]) -> Any:
    mode = svc.network_mode or svc.net
    if mode:
        key = "network_mode" if svc.network_mode else "net"
        if mode in SWARM_BUILTIN_NETWORKS:
            ctx.info("swarm-translated", f"{key} {mode} became the external Swarm network {mode!r}", path + (key,))
            return [builtin_nets[mode]]
        ctx.warn("swarm-unsupported", f"{key} {mode!r} removed: Swarm services join networks; the service is "
                 "attached to the default network", path + (key,))
    if not svc.networks:
        return None
    plain = all(n is None or n == ServiceNetwork() for n in svc.networks.values())
    if plain:
        return list(svc.networks)
    out: dict[str, Any] = {}
    for name, attach in svc.networks.items():
        p = path + ("networks", name)
        if attach is None:
            out[name] = None
            continue
        item: dict[str, Any] = {}
        if attach.aliases:
            item["aliases"] = list(attach.aliases)
        if attach.driver_opts:
            ctx.need((3, 13), "services.*.networks.*.driver_opts")
            item["driver_opts"] = dict(attach.driver_opts)
        report_rest(ctx, attach, p)
        out[name] = item or None
    return out


def _ports(ctx: Context, ports: tuple[Port, ...], path: KeyPath) -> list[dict[str, Any]]:
    out: list[dict[str, Any]] = []
    for i, port in enumerate(ports):
        p = path + ("ports", i)
        if port.host_ip:
            ctx.warn("swarm-host-ip", f"host_ip {port.host_ip} removed: Swarm publishes port "
                     f"{port.published or port.target} on every address of the node", p + ("host_ip",))
        mode = port.mode or "ingress"
        if mode not in ("ingress", "host"):
            ctx.warn("swarm-invalid-value", f"port mode {mode!r} is not ingress or host; ingress used", p + ("mode",))
            mode = "ingress"
        for published, target in expand_published(port):
            item: dict[str, Any] = {"target": target}
            if published is not None:
                item["published"] = published
            item["protocol"] = port.protocol or "tcp"
            item["mode"] = mode
            out.append(item)
        report_rest(ctx, port, p, skip=("host_ip",))
    return out


def _reference(ctx: Context, ref: FileReference, path: KeyPath) -> dict[str, Any]:
    out: dict[str, Any] = {"source": ref.source}
    for key in ("target", "uid", "gid"):
        value = getattr(ref, key)
        if value:
            out[key] = value
    if ref.mode is not None:
        out["mode"] = ref.mode
    report_rest(ctx, ref, path)
    return out


def _report_depends_on(ctx: Context, svc: Service, path: KeyPath) -> None:
    for name, dep in svc.depends_on.items():
        condition = dep.condition or "service_started"
        extras = []
        if dep.restart:
            extras.append("restart: true")
        if not dep.required:
            extras.append("required: false")
        detail = f" ({', '.join(extras)})" if extras else ""
        ctx.warn("swarm-depends-on", f"depends_on {name} ({condition}){detail} removed: Swarm starts every service "
                 f"at once, so {svc.name} must retry until {name} is ready", path + ("depends_on", name))


_SHELL_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")


def _environment(ctx: Context, svc: Service, path: KeyPath) -> dict[str, Any]:
    """The environment; without inline_secrets, variables named by extra secret_env take their value from
    the shell that runs `docker stack deploy` (`${VAR}`), so that their values are not written."""
    out: dict[str, Any] = dict(svc.environment)
    if ctx.inline_secrets:
        return out
    secret = [k for k in sorted(out) if out[k] is not None and ctx.is_secret_env(k)]
    if not secret:
        return out
    dropped = []
    for key in secret:
        if _SHELL_NAME.fullmatch(key):
            out[key] = FromShell(f"${{{key}}}")
        else:
            del out[key]
            dropped.append(key)
    kept = [k for k in secret if k not in dropped]
    if kept:
        ctx.warn("swarm-secret-env", f"{', '.join(kept)}: secret values (extra secret_env) are not written into "
                 "the output: the stack file takes them from the shell that deploys it", path + ("environment",),
                 f"export {' '.join(kept)} before docker stack deploy, or convert with inline_secrets")
    if dropped:
        ctx.warn("swarm-secret-env", f"{', '.join(dropped)}: secret values (extra secret_env) are not written into "
                 "the output, and these names cannot be read from the deploying shell: removed",
                 path + ("environment",), "set them on the service by hand, or convert with inline_secrets")
    return out
