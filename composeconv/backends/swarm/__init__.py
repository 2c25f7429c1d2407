"""The Swarm backend: a version 3.x stack file for `docker stack deploy -c`.

Options read from ConvertOptions.extra (all optional):

- image_for_build: a template such as "{project}-{service}:latest" naming the image of services
  that have build but no image (Swarm cannot build); without it such a service is an error.
- stack_dir: the folder the stack file is written to (absolute, or relative to the project
  folder); bind sources and secret/config files are then written relative to it, as the docker
  CLI resolves them against the folder of the stack file. Without it they stay absolute.
- attachable: make every network the stack creates attachable (docker run --network can join it).
- environment: variable name -> value, for secrets and configs whose source is `environment`.
- hash_names: add a content hash to the names of secrets and configs, so that a changed one gets
  a new name (Swarm cannot update a secret or config in place).
- file_contents: path (as the model holds it) -> content, to hash `file` sources for hash_names.
- secret_env: names or shell patterns of service environment variables whose values are secrets;
  without inline_secrets the stack file takes them from the deploying shell (`${VAR}`).

Secret values (`environment`/`content` secrets, secret_env variables) are written only with
ConvertOptions.inline_secrets.
"""

from __future__ import annotations

from typing import Any

from ...emit import dump
from ...model import Project
from .. import ConvertOptions, ConvertResult, OutputFile
from .context import Context, version_text
from .handling import report_rest
from .objects import builtin_network, convert_file_object, convert_network, convert_volume
from .service import SWARM_BUILTIN_NETWORKS, convert_service
from .values import escape_dollars

STACK_FILE = "docker-stack.yml"

DIAGNOSTIC_CODES: dict[str, str] = {
    "swarm-stack-name": "the project name is given as the stack name at deploy time",
    "swarm-unsupported": "a key Swarm cannot express was removed from the stack file",
    "swarm-no-effect": "a key with no effect in Swarm was removed",
    "swarm-resolved": "a key the loader already applied (profiles, env_file, extends) was removed",
    "swarm-translated": "a key was rewritten into its Swarm equivalent",
    "swarm-conflict": "a key was removed because another key already sets the same thing differently",
    "swarm-invalid-value": "a value Swarm rejects was removed",
    "swarm-requires-cli": "a key only recent docker CLI versions apply was kept",
    "swarm-build-dropped": "build was removed; the service runs its image",
    "swarm-image-from-build": "a build-only service runs the image named by extra image_for_build",
    "swarm-no-image": "a service has no image and none can be derived (error)",
    "swarm-depends-on": "depends_on was removed: Swarm has no start order",
    "swarm-host-ip": "a port's host_ip was removed: Swarm publishes on every address",
    "swarm-needs-folder": "a secret or config file next to the stack file needs an output folder",
    "swarm-external-object": "a secret or config without a usable source was declared external",
    "swarm-hash-no-content": "extra hash_names could not hash a file source without its content",
    "swarm-secret-not-inlined": "a secret's value is not written (no inline_secrets): its file must be made before deploying",
    "swarm-secret-env": "environment variables named by extra secret_env are taken from the deploying shell",
}


def convert(project: Project, options: ConvertOptions) -> ConvertResult:
    """The stack file (and the secret/config files it refers to) for one project."""
    ctx = Context(project=project, extra=options.extra, split=options.split, inline_secrets=options.inline_secrets)
    report_rest(ctx, project, ())
    if project.name:
        ctx.info("swarm-stack-name", f"the project name is the stack name, given at deploy time: docker stack "
                 f"deploy -c {STACK_FILE} {project.name}", ("name",))
    builtin_nets = _builtin_network_keys(project)
    services: dict[str, Any] = {}
    for name, svc in project.services.items():
        converted = convert_service(ctx, svc, ("services", name), builtin_nets)
        if converted is not None:
            services[name] = converted
    networks = {key: convert_network(ctx, key, net) for key, net in project.networks.items()}
    for mode, key in builtin_nets.items():
        if any(key in (s.get("networks") or ()) for s in services.values()):
            networks[key] = builtin_network(ctx, key, mode)
    volumes = {key: convert_volume(ctx, key, vol) for key, vol in project.volumes.items()}
    side_files: dict[str, str | bytes | None] = {}
    top: dict[str, dict[str, Any]] = {}
    for kind, since in (("secrets", (3, 1)), ("configs", (3, 3))):
        objs = getattr(project, kind)
        if objs:
            ctx.need(since, kind)
            top[kind] = {key: convert_file_object(ctx, kind, key, obj, side_files) for key, obj in objs.items()}
    if project.extensions:
        ctx.need((3, 4), "top-level extensions")
    doc: dict[str, Any] = {"version": version_text(ctx.version), "services": services}
    if networks:
        doc["networks"] = networks
    if volumes:
        doc["volumes"] = volumes
    doc.update(top)
    doc.update(project.extensions)
    files = [OutputFile(STACK_FILE, dump(escape_dollars(doc)))]
    if options.split:
        for rel in sorted(side_files):
            data = side_files[rel]
            if data is None:  # a secret whose value is not written
                continue
            text = data.decode("utf-8", errors="surrogateescape") if isinstance(data, bytes) else data
            files.append(OutputFile(rel, text, 0o600 if rel.startswith("secrets/") else 0o644))
    return ConvertResult(files=tuple(files), diagnostics=tuple(ctx.diagnostics), objects=(doc,))


def _builtin_network_keys(project: Project) -> dict[str, str]:
    """The top-level key for each of Swarm's own networks a network_mode may name, avoiding user keys."""
    keys: dict[str, str] = {}
    for mode in SWARM_BUILTIN_NETWORKS:
        key = mode
        while key in project.networks:
            key += "_net"
        keys[mode] = key
    return keys
