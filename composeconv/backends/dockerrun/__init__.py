"""The docker-run backend: one bash script that runs a Compose project with plain docker commands."""

from __future__ import annotations

import re

from ...model import Project, Service, encode_project
from ...records import fields, is_record
from ...model.types import Hook
from .. import ConvertOptions, ConvertResult, OutputFile
from ..common import dependency_order, secret_env_patterns, stable_hash
from .context import NAME, Context
from .flags import CONFIG_HASH_LABEL, command_words, create_args, flag
from .images import image_steps
from .mounts import Injection, file_injections
from .networking import extra_networks, network_create_args
from .quote import Arg, Var, quote, word
from .script import Function, command_line, render_script
from .unsupported import report_unsupported

SCRIPT_NAME = "run.sh"
_VOLUMES = Var("volumes")
DEFAULT_WAIT_TIMEOUT = 300

DIAGNOSTIC_CODES: dict[str, str] = {
    "dockerrun-unsupported": "a key the script cannot apply at all (provider, models, pre_start); it is left out",
    "dockerrun-no-effect": "a key that has no effect on containers run by the script (as under Docker Compose)",
    "dockerrun-swarm-only": "a deploy setting that only Swarm uses; Docker Compose ignores it as well",
    "dockerrun-depends-restart": "depends_on.restart: the script does not restart dependents of a recreated service",
    "dockerrun-healthcheck-shell": "an exec-form healthcheck becomes a shell command, the only form docker run takes",
    "dockerrun-healthcheck-test": "a healthcheck test that starts with neither CMD, CMD-SHELL nor NONE",
    "dockerrun-device-request": "a device request without the gpu capability, which --gpus cannot express",
    "dockerrun-network-mac": "a MAC address on a network other than the first, which network connect cannot set",
    "dockerrun-port-metadata": "ports.name or ports.app_protocol, which docker run has no place for",
    "dockerrun-port-mode": "ports.mode host, which only matters to Swarm",
    "dockerrun-mount-type": "a volume type docker run cannot mount (cluster)",
    "dockerrun-bind-create": "a bind that needs the --mount form, which cannot create a missing host path",
    "dockerrun-bind-selinux": "bind.selinux on a bind that uses the mount API, where Docker Compose drops it too",
    "dockerrun-file-mode": "uid, gid or mode on a file-sourced secret or config, which a bind mount cannot apply",
    "dockerrun-undefined-file": "a service refers to a secret or config that is not defined",
    "dockerrun-external-file": "an external secret or config, which only Swarm provides",
    "dockerrun-file-driver": "a secret or config driver, which only Swarm provides",
    "dockerrun-read-only-file": "a content or environment secret or config in a read-only container",
    "dockerrun-secret-environment": "an environment-sourced secret or config read when the script runs",
    "dockerrun-secret-name": "a secret or config variable name that the script cannot read from its environment",
    "dockerrun-pull-policy": "a pull_policy with a schedule, applied as \"missing\"",
    "dockerrun-build-option": "a build option that docker build is not given",
    "dockerrun-build-secret": "a build secret without a file or environment source",
    "dockerrun-models": "top-level models, which need Docker Compose's model runner",
    "dockerrun-replicas": "a service with container_name and more than one replica",
    "dockerrun-bad-option": "an unknown or invalid value in options.extra",
    "dockerrun-secret-env": "variables named by option secret_env are taken from the script's environment when it runs",
    "dockerrun-secret-not-inlined": "a secret's value is not written without inline_secrets; the script reads it when it runs",
    "dockerrun-nul": "a value holds a NUL character, which no command-line argument can carry",
}

_SAFE_FILE = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]*")
_IDENTIFIER = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")


def _nul_paths(doc: object, path: tuple = ()) -> list[tuple]:
    """Key paths of the strings (keys included) that hold a NUL character."""
    found: list[tuple] = []
    if isinstance(doc, str):
        return [path] if "\x00" in doc else []
    if isinstance(doc, dict):
        for k, v in doc.items():
            if isinstance(k, str) and "\x00" in k:
                found.append(path + (k,))
            found += _nul_paths(v, path + (k,))
    elif isinstance(doc, list):
        for i, v in enumerate(doc):
            found += _nul_paths(v, path + (i,))
    return found


def _holds_nul(value: object) -> bool:
    """Whether a NUL character is anywhere in value (a quick scan; _nul_paths then finds where)."""
    todo = [value]
    while todo:
        v = todo.pop()
        t = type(v)
        if t is str:
            if "\x00" in v:
                return True
        elif t is dict:
            for k, x in v.items():  # type: ignore[attr-defined]
                if type(k) is str and "\x00" in k:
                    return True
                todo.append(x)
        elif t is list or t is tuple:
            todo.extend(v)  # type: ignore[arg-type]
        elif is_record(v):
            todo.extend(getattr(v, f.name) for f in fields(v))
    return False


def convert(project: Project, options: ConvertOptions) -> ConvertResult:
    """The script (run.sh) and, when writing a folder, the content of its secrets and configs."""
    extra = dict(options.extra)
    patterns = secret_env_patterns(extra.get("secret_env") or ())
    ctx = Context(project, extra, options.split, inline_secrets=options.inline_secrets, secret_env=patterns or ())
    if patterns is None:
        ctx.error("dockerrun-bad-option", "options.extra secret_env must be a list of names or patterns", ())
    # a command-line argument cannot carry a NUL character, so such a value cannot reach docker
    nul = _nul_paths(encode_project(project, compose_json=False, secret_content=True)) if _holds_nul(project) else []
    if nul:
        for path in nul:
            ctx.error("dockerrun-nul", "a NUL character cannot be passed to docker on a command line", path)
        return ConvertResult((), tuple(ctx.diagnostics))
    order = [project.services[n] for n in dependency_order(project)]
    order = [s for s in order if s.provider is None]
    data_files: dict[str, OutputFile] = {}
    functions: list[Function] = [image_steps(ctx, order)]
    creates: list[str] = []
    starts: list[str] = []
    for svc in order:
        notes = report_unsupported(ctx, svc)
        create, start = service_functions(ctx, svc, notes, data_files)
        functions += [create, start]
        creates.append(create.name)
        starts.append(start.name)
    for _, svc in sorted(project.services.items()):
        if svc.provider is not None:
            report_unsupported(ctx, svc)
    if project.models:
        ctx.warn("dockerrun-models", "models need Docker Compose's model runner; the script does not provide them",
                 ("models",))
    functions.append(up_function(ctx, creates, starts))
    functions.append(down_function(ctx, order))
    timeout = extra.get("wait_timeout", DEFAULT_WAIT_TIMEOUT)
    if not isinstance(timeout, int) or isinstance(timeout, bool) or timeout <= 0:
        ctx.error("dockerrun-bad-option", f"options.extra wait_timeout must be a positive number of seconds, not {timeout!r}", ())
        timeout = DEFAULT_WAIT_TIMEOUT
    project_dir = extra.get("project_dir")
    text = render_script(project.name, SCRIPT_NAME, str(project_dir) if project_dir else "$script_dir", timeout,
                         functions)
    files = [OutputFile(SCRIPT_NAME, text, 0o755)] + [data_files[k] for k in sorted(data_files)]
    return ConvertResult(tuple(files), tuple(ctx.diagnostics))


def _data_name(kind: str, key: str) -> str:
    name = key if _SAFE_FILE.fullmatch(key) else "x-" + stable_hash(key, 12)
    return f"{kind}s/{name}"


def _injection_line(ctx: Context, svc: Service, inj: Injection, data_files: dict[str, OutputFile]) -> str | None:
    """The command that copies one secret or config into $name, or None when it has no content to copy."""
    objects = ctx.project.secrets if inj.kind == "secret" else ctx.project.configs
    obj = objects[inj.key]
    env = ctx.extra.get("environment") or {}
    value: str | None = obj.content
    withheld = False
    if obj.environment is not None:
        value = env.get(obj.environment) if isinstance(env, dict) else None
        if value is None:
            value = obj.content  # the value loading took from the environment
        withheld = inj.kind == "secret" and not ctx.inline_secrets and value is not None
        if withheld:
            value = None  # not written out: the script reads the variable when it runs
    tail = command_line(["inject_file", word(NAME), inj.target, format(inj.mode, "04o"), inj.uid, inj.gid], "")
    tail = tail.rstrip("\n")
    if inj.kind == "secret" and value is not None and not ctx.inline_secrets and obj.environment is None:
        # a `content:` secret: its value is not written out; the script reads the file the user provides
        rel = _data_name(inj.kind, inj.key)
        ctx.warn("dockerrun-secret-not-inlined", f"the value of secret {inj.key!r} is not written without "
                 f"--inline-secrets: put it in {rel} next to the script", (inj.kind + "s", inj.key))
        return (f"      [[ -f \"${{script_dir}}\"/{quote(rel)} ]] || die {quote(f'secret {inj.key}: {rel} is missing')}\n"
                f"      {tail} <\"${{script_dir}}\"/{quote(rel)}\n")
    if value is None:
        var = obj.environment or ""
        if not _IDENTIFIER.fullmatch(var):
            ctx.error("dockerrun-secret-name", f"the script cannot read variable {var!r} from its environment",
                      (inj.kind + "s", inj.key, "environment"))
            return None
        why = "its value is written out only with --inline-secrets" if withheld else "no value was given at conversion"
        ctx.info("dockerrun-secret-environment", f"{inj.kind} {inj.key!r} is read from ${var} when the script runs "
                 f"({why})", (inj.kind + "s", inj.key, "environment"))
        return (f"      [[ -n ${{{var}+set}} ]] || die {quote(f'variable {var} for {inj.kind} {inj.key} is not set')}\n"
                f"      printf '%s' \"${{{var}}}\" | {tail}\n")
    if not ctx.split:
        return f"      printf '%s' {quote(value)} | {tail}\n"
    rel = _data_name(inj.kind, inj.key)
    data_files[rel] = OutputFile(rel, value, 0o600 if inj.kind == "secret" else 0o644)
    return f"      {tail} <\"${{script_dir}}\"/{quote(rel)}\n"


def _container_names(ctx: Context, svc: Service) -> list[str]:
    if svc.container_name:
        return [svc.container_name] if svc.replicas > 0 else []
    return [f"{ctx.project.name}-{svc.name}-{i}" for i in range(1, svc.replicas + 1)]


def service_functions(ctx: Context, svc: Service, notes: list[str],
                      data_files: dict[str, OutputFile]) -> tuple[Function, Function]:
    """create_<service> (create or keep each replica) and start_<service> (wait, inject, start, hooks)."""
    ident = _function_suffix(svc.name)
    count = svc.replicas
    if svc.container_name and count > 1:
        ctx.error("dockerrun-replicas", f"service {svc.name} has container_name and {count} replicas; "
                  "container names must be unique", ("services", svc.name, "container_name"))
        count = 1
    image = ctx.image(svc)
    args = create_args(ctx, svc)
    tail = ["--", image] + command_words(svc)
    connects = [["docker", "network", "connect"] + connect + ["--", net, word(NAME)]
                for net, connect in extra_networks(ctx, svc)]
    # The hash covers the rendered commands, so that a changed service gets a new container.
    config_hash = stable_hash("\0".join(command_line(c) for c in [["docker", "create"] + args + tail] + connects), 16)
    args.insert(1, flag("label", f"{CONFIG_HASH_LABEL}={config_hash}"))
    create = Function(f"create_{ident}", f"Service {_comment(svc.name)}: {count} container(s).")
    for note in notes:
        create.add(f"  # not applied: {_comment(note)}\n")
    create.add("  local n name image_id\n")
    create.add(f"  image_id=$(image_id {quote(image)})\n")
    create.add(f"  for ((n = 1; n <= {count}; n++)); do\n")
    create.add("    name=" + ctx.container_name(svc).render() + "\n")
    create.add(f"    if needs_create \"$name\" {config_hash} \"$image_id\"; then\n")
    create.add("      log \"Creating container $name\"\n")
    for cmd in [["docker", "create"] + args + tail] + connects:
        create.add(command_line(cmd, "      ").rstrip("\n") + " >/dev/null\n")
    create.add("    fi\n  done\n")
    create.add(command_line(["scale_down", svc.name, str(count)]))

    start = Function(f"start_{ident}", f"Start service {_comment(svc.name)} once its dependencies are ready.")
    for dep_name, dep in sorted(svc.depends_on.items()):
        other = ctx.project.services.get(dep_name)
        if other is None or other.replicas == 0 or other.provider is not None:
            continue
        names = _container_names(ctx, other)
        required = "true" if dep.required else "false"
        if dep.condition == "service_healthy":
            start.command(["wait_healthy", required, svc.name] + names)
        elif dep.condition == "service_completed_successfully":
            start.command(["wait_completed", required, svc.name] + names)
    start.add("  local n name\n")
    start.add(f"  for ((n = 1; n <= {count}; n++)); do\n")
    start.add("    name=" + ctx.container_name(svc).render() + "\n")
    start.add("    if ! is_running \"$name\"; then\n")
    for inj in file_injections(ctx, svc):
        line = _injection_line(ctx, svc, inj, data_files)
        if line:
            start.add(line)
    start.add("      log \"Starting container $name\"\n")
    start.add("      docker start -- \"$name\" >/dev/null\n")
    for hook in svc.post_start:
        start.add(command_line(hook_args(hook) + ["--", word(NAME)] + list(hook.command or ()), "      "))
    start.add("    fi\n  done\n")
    return create, start


def hook_args(hook: Hook) -> list[Arg | str]:
    """docker exec flags for a post_start or pre_stop hook, as Compose's runHook sets them."""
    args: list[Arg | str] = ["docker", "exec"]
    if hook.user:
        args.append(flag("user", hook.user))
    if hook.privileged:
        args.append(word("--privileged"))
    if hook.working_dir:
        args.append(flag("workdir", hook.working_dir))
    args += [flag("env", k if v is None else f"{k}={v}") for k, v in hook.environment.items()]
    return args


def up_function(ctx: Context, creates: list[str], starts: list[str]) -> Function:
    fn = Function("up", "Networks and volumes first, then images, containers in dependency order, then starts.")
    for key, net in sorted(ctx.project.networks.items()):
        name = net.name or f"{ctx.project.name}_{key}"
        if net.external:
            fn.command(["require_network", name])
        else:
            fn.command(["ensure_network", name, key] + network_create_args(ctx, key, net))
    for key, vol in sorted(ctx.project.volumes.items()):
        name = vol.name or f"{ctx.project.name}_{key}"
        if vol.external:
            fn.command(["require_volume", name])
        else:
            args = [flag("driver", vol.driver)] if vol.driver else []
            args += [flag("opt", f"{k}={v}") for k, v in vol.driver_opts.items()]
            labels = dict(vol.labels)
            labels.update({"com.docker.compose.project": ctx.project.name, "com.docker.compose.version": "2.40.3",
                           "com.docker.compose.volume": key})
            args += [flag("label", f"{k}={v}") for k, v in labels.items()]
            fn.command(["ensure_volume", name] + args)
    fn.add("  prepare_images\n")
    for name in creates:
        fn.add(f"  {name}\n")
    for name in starts:
        fn.add(f"  {name}\n")
    return fn


def down_function(ctx: Context, order: list[Service]) -> Function:
    fn = Function("down", "Containers in reverse dependency order, then networks, and volumes when asked (-v).")
    vols = [v.name or f"{ctx.project.name}_{k}" for k, v in sorted(ctx.project.volumes.items()) if not v.external]
    if order or vols:
        fn.add("  local volumes=$1\n")
    if any(s.pre_stop for s in order):
        fn.add("  local n name\n")
    for svc in reversed(order):
        if svc.pre_stop:
            fn.add(f"  for ((n = 1; n <= {len(_container_names(ctx, svc))}; n++)); do\n")
            fn.add("    name=" + ctx.container_name(svc).render() + "\n")
            fn.add("    is_running \"$name\" || continue\n")
            for hook in svc.pre_stop:
                fn.add(command_line(hook_args(hook) + ["--", word(NAME)] + list(hook.command or ()), "    "))
            fn.add("  done\n")
        fn.command(["remove_containers", svc.name, word(_VOLUMES)])
    for key, net in sorted(ctx.project.networks.items()):
        if not net.external:
            fn.command(["remove_network", net.name or f"{ctx.project.name}_{key}"])
    if vols:
        fn.add("  if [[ $volumes == true ]]; then\n")
        for v in vols:
            fn.command(["remove_volume", v], "    ")
        fn.add("  fi\n")
    return fn



def _function_suffix(name: str) -> str:
    clean = re.sub(r"[^A-Za-z0-9_]", "_", name)
    return clean if clean == name else f"{clean}_{stable_hash(name, 6)}"


def _comment(text: str) -> str:
    return "".join(c if c.isprintable() else "?" for c in text)


__all__ = ["DIAGNOSTIC_CODES", "convert"]
