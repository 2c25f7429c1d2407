"""Getting each service's image: docker pull per pull_policy, or docker build from the build section."""

from __future__ import annotations

import posixpath

from ...model import Service
from ...model.types import Build
from .context import Context
from .quote import Arg, Word, csv_field, quote, word
from .script import Function, command_line

_POLICIES = {"always": "always", "never": "never", "missing": "missing", "if_not_present": "missing"}


def _flag(name: str, value: str | Word) -> Word:
    return word(f"--{name}=", value)


def pull_policy(ctx: Context, svc: Service) -> str:
    """always, never, missing or build, as the script applies it."""
    # Without a policy Compose pulls a missing image, or builds it when the service has a build section.
    policy = svc.pull_policy or "missing"
    if policy == "build":
        return "build"
    if policy in _POLICIES:
        return _POLICIES[policy]
    ctx.info("dockerrun-pull-policy", f"pull_policy {policy} becomes \"missing\": the script does not track "
             "when an image was last pulled", ("services", svc.name, "pull_policy"))
    return "missing"


def build_args(ctx: Context, svc: Service, build: Build) -> list[Arg]:
    """docker build flags and the context; the Dockerfile path is relative to the context, as in Compose."""
    image = ctx.image(svc)
    context = build.context or "."
    remote = "://" in context or context.startswith("git@")
    ctx_word = word(context) if remote else ctx.host_path(context)
    args: list[Arg] = ["docker", "build", _flag("tag", image)]
    args += [_flag("tag", t) for t in build.tags]
    if build.dockerfile_inline is not None:
        args.append(word("--file=-"))
    elif build.dockerfile:
        if posixpath.isabs(build.dockerfile) or remote:
            args.append(_flag("file", ctx.host_path(build.dockerfile) if not remote else word(build.dockerfile)))
        else:
            args.append(_flag("file", ctx_word + ("/" + build.dockerfile)))
    for k, v in build.args.items():
        args.append(_flag("build-arg", k if v is None else f"{k}={v}"))
    if build.target:
        args.append(_flag("target", build.target))
    args += [_flag("label", f"{k}={v}") for k, v in build.labels.items()]
    if build.network:
        args.append(_flag("network", build.network))
    for host, ips in build.extra_hosts.items():
        args += [_flag("add-host", f"{host}={ip}") for ip in ips]
    if build.shm_size:
        args.append(_flag("shm-size", str(build.shm_size)))
    for name, limit in build.ulimits.items():
        soft = limit.soft or limit.single or 0
        hard = limit.hard or limit.single or 0
        args.append(_flag("ulimit", f"{name}={soft}:{hard}" if soft != hard else f"{name}={soft}"))
    platform = svc.platform or (build.platforms[0] if build.platforms else None)
    if platform:
        args.append(_flag("platform", platform))
    if build.isolation:
        args.append(_flag("isolation", build.isolation))
    if build.no_cache:
        args.append(word("--no-cache"))
    if build.pull:
        args.append(word("--pull"))
    args += [_flag("cache-from", c) for c in build.cache_from]
    args += [_flag("cache-to", c) for c in build.cache_to]
    for name, value in build.additional_contexts.items():
        args.append(_flag("build-context", f"{name}={value}"))
    for key in build.ssh:
        args.append(_flag("ssh", f"{key.id}={key.path}" if key.path else key.id))
    for i, ref in enumerate(build.secrets):
        obj = ctx.project.secrets.get(ref.source or "")
        sid = ref.target or ref.source or ""
        if obj is not None and obj.file:
            args.append(word("--secret=") + word(csv_field(f"id={sid}") + ",src=") + ctx.host_path(obj.file))
        elif obj is not None and obj.environment:
            args.append(_flag("secret", f"{csv_field('id=' + sid)},env={csv_field(obj.environment)}"))
        else:
            ctx.warn("dockerrun-build-secret", f"build secret {ref.source!r} has no file or environment source "
                     "the script can pass to docker build", ("services", svc.name, "build", "secrets", i))
    args += ["--", ctx_word]
    return args


def image_steps(ctx: Context, services: list[Service]) -> Function:
    """A function that makes every service's image present, each image once."""
    fn = Function("prepare_images", "Pull or build every image the containers need.")
    seen: set[str] = set()
    for svc in services:
        image = ctx.image(svc)
        if image in seen:
            continue
        seen.add(image)
        policy = pull_policy(ctx, svc)
        platform = svc.platform or ""
        if svc.build is not None and policy not in ("always", "never"):
            build = build_args(ctx, svc, svc.build)
            cond = "" if policy == "build" else f"has_image {quote(image)} || "
            if svc.build.dockerfile_inline is not None:
                fn.add(f"  {cond}{{\n    log {quote('Building image ' + image)}\n")
                fn.add(f"    printf '%s' {quote(svc.build.dockerfile_inline)} |\n")
                fn.add(command_line(build, "      "))
                fn.add("  }\n")
            else:
                fn.add(f"  {cond}{{\n    log {quote('Building image ' + image)}\n")
                fn.add(command_line(build, "    "))
                fn.add("  }\n")
        else:
            fn.command(["ensure_image", image, policy, platform])
    return fn
