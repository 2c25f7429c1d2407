"""Short syntax to long syntax (transform/canonical.go) and default values (transform/defaults.go).

Both run on plain dicts in place. With interpolation off, values that still hold ${VAR}
and cannot be parsed (ports, volumes) are left as written, as Compose does.
"""

from __future__ import annotations

from typing import Any

from ..diagnostics import ComposeError, Diagnostic, Level
from ..gofmt import go_sprint, go_type
from .shortsyntax import SyntaxProblem, go_path_clean, parse_port, parse_volume

Path = tuple


def _text(path: Path) -> str:
    """A path as Compose prints it in transform errors: list items read `[]`."""
    return ".".join("[]" if isinstance(p, int) else str(p) for p in path)


def _fail(message: str, path: Path) -> ComposeError:
    return ComposeError(Diagnostic("invalid-syntax", Level.ERROR, message, tuple(path)))


# --------------------------------------------------------------------------- item transforms

def _file_mount(value: Any, path: Path) -> Any:
    if isinstance(value, dict):
        return value
    if isinstance(value, str):
        return {"source": value}
    raise _fail(f"{_text(path)}: unsupported type {go_type(value)}", path)


def _string_or_list(value: Any) -> Any:
    return [value] if isinstance(value, str) else value


def _key_value(value: Any, path: Path, ignore: bool) -> Any:
    if isinstance(value, dict):
        return value
    if isinstance(value, list):
        mapping = {}
        for item in value:
            text = item if isinstance(item, str) else go_sprint(item)
            key, sep, val = text.partition("=")
            if not sep:
                if ignore:
                    return value
                raise _fail(f"{_text(path)}: invalid value {text}, expected key=value", path)
            mapping[key] = val
        return mapping
    raise _fail(f"{_text(path)}: invalid type {go_type(value)}", path)


def _ssh(value: Any, path: Path) -> Any:
    if isinstance(value, dict):
        return value
    if isinstance(value, list):
        result: dict[str, Any] = {}
        for item in value:
            if not isinstance(item, str):
                raise _fail(f"invalid ssh key type {go_type(item)}", path)
            key, sep, val = item.partition("=")
            if not sep:
                if key != "default":
                    raise _fail(f'invalid ssh key "{item}"', path)
                result[key] = None
                continue
            result[key] = val
        return result
    raise _fail(f"{_text(path)}: invalid type {go_type(value)} for ssh", path)


def _ulimit(value: Any, path: Path) -> Any:
    if isinstance(value, dict) or (isinstance(value, int) and not isinstance(value, bool)):
        return value
    raise _fail(f"{_text(path)}: invalid type {go_type(value)} for external", path)


def _ulimits(value: Any, path: Path) -> None:
    if isinstance(value, dict):
        for key, item in value.items():
            value[key] = _ulimit(item, path + (key,))


def _build(value: Any, path: Path, ignore: bool) -> Any:
    if isinstance(value, str):
        return {"context": value}
    if not isinstance(value, dict):
        raise _fail(f"{_text(path)}: invalid type {go_type(value)} for build", path)
    secrets = value.get("secrets")
    if isinstance(secrets, list):
        value["secrets"] = [_file_mount(s, path + ("secrets", i)) for i, s in enumerate(secrets)]
    elif isinstance(secrets, dict):
        for key, item in secrets.items():
            secrets[key] = _file_mount(item, path + ("secrets", key))
    for key in ("provenance", "sbom"):
        if key in value and not isinstance(value[key], str):
            value[key] = go_sprint(value[key])
    if "additional_contexts" in value:
        value["additional_contexts"] = _key_value(value["additional_contexts"], path + ("additional_contexts",),
                                                  ignore)
    if "ssh" in value:
        value["ssh"] = _ssh(value["ssh"], path + ("ssh",))
    if "ulimits" in value:
        _ulimits(value["ulimits"], path + ("ulimits",))
    return value


def _depends_on(value: Any, path: Path) -> Any:
    if isinstance(value, dict):
        for name, item in value.items():
            if not isinstance(item, dict):
                raise _fail(f"{_text(path)}.{name}: unsupported value {go_sprint(value)}", path + (name,))
            item.setdefault("condition", "service_started")
            item.setdefault("required", True)
        return value
    if isinstance(value, list):
        return {(k if isinstance(k, str) else go_sprint(k)): {"condition": "service_started", "required": True}
                for k in value}
    raise _fail(f"{_text(path)}: invalid type {go_type(value)} for depend_on", path)


def _env_file_item(value: Any) -> Any:
    if isinstance(value, str):
        return {"path": value, "required": True}
    if isinstance(value, dict):
        value.setdefault("required", True)
        return value
    return None


def _env_file(value: Any, path: Path) -> Any:
    if isinstance(value, str):
        return [_env_file_item(value)]
    if isinstance(value, list):
        return [_env_file_item(v) for v in value]
    raise _fail(f"{_text(path)}: invalid type {go_type(value)} for env_file", path)


def _extends(value: Any, path: Path) -> Any:
    if isinstance(value, dict):
        return value
    if isinstance(value, str):
        return {"service": value}
    raise _fail(f"{_text(path)}: invalid type {go_type(value)} for extends", path)


def _gpus(value: Any, path: Path) -> Any:
    if isinstance(value, list):
        return value
    if isinstance(value, str):
        return [{"count": "all"}]
    raise _fail(f"{_text(path)}: invalid type {go_type(value)} for gpus", path)


def _slice_to_map(value: Any) -> Any:
    if isinstance(value, list):
        return {(v if isinstance(v, str) else go_sprint(v)): None for v in value}
    return value


def _volume(value: Any, path: Path, ignore: bool) -> Any:
    if isinstance(value, dict):
        return value
    if isinstance(value, str):
        try:
            volume = parse_volume(value)
        except SyntaxProblem as exc:
            if ignore:
                return value
            raise _fail(str(exc), path) from None
        if volume.get("target"):
            volume["target"] = go_path_clean(volume["target"])
        return volume
    raise _fail(f"{_text(path)}: invalid type {go_type(value)} for service volume mount", path)


def _device(value: Any, path: Path, ignore: bool) -> Any:
    if isinstance(value, dict):
        return value
    if isinstance(value, str):
        parts = value.split(":")
        src = dst = ""
        permissions = "rwm"
        if len(parts) > 3:
            if not ignore:
                raise _fail(f"confusing device mapping, please use long syntax: {value}", path)
        else:
            src = parts[0]
            if len(parts) >= 2:
                dst = parts[1]
            if len(parts) == 3:
                permissions = parts[2]
        if dst == "":
            dst = src
        return {"source": src, "target": dst, "permissions": permissions}
    raise _fail(f"{_text(path)}: invalid type {go_type(value)} for service volume mount", path)


def _ports(value: Any, path: Path, ignore: bool) -> Any:
    if not isinstance(value, list):
        raise _fail(f"{_text(path)}: invalid type {go_type(value)} for port", path)
    ports: list = []
    for i, entry in enumerate(value):
        if isinstance(entry, dict):
            ports.append(entry)
            continue
        if isinstance(entry, bool) or not isinstance(entry, (int, str)):
            raise _fail(f"{_text(path)}: invalid type {go_type(entry)} for port", path + (i,))
        try:
            ports.extend(parse_port(str(entry)))
        except SyntaxProblem as exc:
            if ignore and isinstance(entry, str):
                return value
            raise _fail(str(exc), path + (i,)) from None
    return ports


def _list_items(service: dict, key: str, path: Path, fn) -> None:
    value = service.get(key)
    if isinstance(value, list):
        service[key] = [fn(item, path + (key, i)) for i, item in enumerate(value)]
    elif isinstance(value, dict):
        for k, item in value.items():
            value[k] = fn(item, path + (key, k))


def canonical_service(service: dict, path: Path, ignore: bool) -> None:
    """Turn the short syntaxes of one service into long syntax (in place)."""
    if "build" in service:
        service["build"] = _build(service["build"], path + ("build",), ignore)
    if "depends_on" in service:
        service["depends_on"] = _depends_on(service["depends_on"], path + ("depends_on",))
    if "env_file" in service:
        service["env_file"] = _env_file(service["env_file"], path + ("env_file",))
    if "label_file" in service:
        service["label_file"] = _string_or_list(service["label_file"])
    if "extends" in service:
        service["extends"] = _extends(service["extends"], path + ("extends",))
    if "gpus" in service:
        service["gpus"] = _gpus(service["gpus"], path + ("gpus",))
    for key in ("networks", "models"):
        if key in service:
            service[key] = _slice_to_map(service[key])
    if "volumes" in service:
        _list_items(service, "volumes", path, lambda v, p: _volume(v, p, ignore))
    if "dns" in service:
        service["dns"] = _string_or_list(service["dns"])
    if "devices" in service:
        _list_items(service, "devices", path, lambda v, p: _device(v, p, ignore))
    if "secrets" in service:
        _list_items(service, "secrets", path, _file_mount)
    if "configs" in service:
        _list_items(service, "configs", path, _file_mount)
    if "ports" in service:
        service["ports"] = _ports(service["ports"], path + ("ports",), ignore)
    if "ulimits" in service:
        _ulimits(service["ulimits"], path + ("ulimits",))
    develop = service.get("develop")
    if isinstance(develop, dict) and isinstance(develop.get("watch"), list):
        for watch in develop["watch"]:
            if isinstance(watch, dict):
                for key in ("ignore", "include"):
                    if key in watch:
                        watch[key] = _string_or_list(watch[key])


def _maybe_external(resource: Any, path: Path) -> Any:
    if not isinstance(resource, dict):
        return resource
    external = resource.get("external")
    if isinstance(external, dict):
        resource["external"] = True
        if "name" in external:
            if "name" in resource and external["name"] != resource["name"]:
                raise _fail(f"{_text(path)}: name and external.name conflict; only use name", path)
            if "name" not in resource:
                resource["name"] = external["name"]
    return resource


def canonical(doc: dict, ignore_parse_error: bool) -> dict:
    """Long syntax for a whole document (in place)."""
    services = doc.get("services")
    if isinstance(services, dict):
        for name, service in services.items():
            if isinstance(service, dict):
                canonical_service(service, ("services", name), ignore_parse_error)
    for kind in ("volumes", "networks", "secrets", "configs"):
        resources = doc.get(kind)
        if isinstance(resources, dict):
            for name, resource in resources.items():
                resources[name] = _maybe_external(resource, (kind, name))
    include = doc.get("include")
    if isinstance(include, list):
        for i, item in enumerate(include):
            if isinstance(item, str):
                include[i] = {"path": item}
            elif not isinstance(item, dict):
                raise _fail(f"include.[]: invalid type {go_type(item)} for external", ("include", i))
    return doc


_KEEP_EMPTY_SERVICE = frozenset({
    "annotations", "cap_add", "cap_drop", "devices", "configs", "dns", "dns_opt", "dns_search",
    "environment", "env_file", "expose", "labels", "links", "ports", "profiles", "secrets", "sysctls",
    "tmpfs", "volumes"})
_KEEP_EMPTY_BUILD = frozenset({"args", "additional_contexts", "platform", "tags", "labels"})


class EmptyCommand(list):
    """An explicitly empty command or entrypoint (`entrypoint: []`).

    Compose prints it as null at the map level (--no-interpolate) yet decodes it into an empty,
    not a missing, command: it clears the image's entrypoint. This type keeps that difference.
    """


def printable(doc: Any) -> Any:
    """The map-level document as Compose prints it with --no-interpolate."""
    if isinstance(doc, EmptyCommand):
        return None
    if isinstance(doc, dict):
        return {k: printable(v) for k, v in doc.items()}
    if isinstance(doc, list):
        return [printable(v) for v in doc]
    return doc


def _nil_empty(value: Any) -> Any:
    """Empty sequences become null (Compose rebuilds every list and an empty one prints null)."""
    if isinstance(value, list):
        if not value:
            return None
        for i, item in enumerate(value):
            if isinstance(item, (list, dict)):
                value[i] = _nil_empty(item)
        return value
    if isinstance(value, dict):
        for key, item in value.items():
            if isinstance(item, (list, dict)):
                value[key] = _nil_empty(item)
    return value


def _keep_list(value: list) -> list:
    for i, item in enumerate(value):
        if isinstance(item, (list, dict)):
            value[i] = _nil_empty(item)
    return value


def _omit_nested(mapping: dict, keep: frozenset) -> None:
    for key, item in mapping.items():
        if isinstance(item, list) and key in keep:
            _keep_list(item)
        elif isinstance(item, (list, dict)):
            mapping[key] = _nil_empty(item)


def _omit_service(service: dict) -> None:
    for key, value in service.items():
        if not isinstance(value, (list, dict)):
            continue
        if key in ("command", "entrypoint") and isinstance(value, list) and not value:
            service[key] = EmptyCommand()
        elif key == "dns" and isinstance(value, list):
            service[key] = [v for v in value if v is not None and v != ""]
        elif isinstance(value, list) and key in _KEEP_EMPTY_SERVICE:
            _keep_list(value)
        elif key == "build" and isinstance(value, dict):
            _omit_nested(value, _KEEP_EMPTY_BUILD)
        elif key == "deploy" and isinstance(value, dict):
            _omit_nested(value, frozenset({"labels"}))
        elif key == "networks" and isinstance(value, dict):
            for net in value.values():
                if isinstance(net, dict):
                    _omit_nested(net, frozenset({"aliases", "link_local_ips"}))
        else:
            service[key] = _nil_empty(value)


def omit_empty(doc: dict) -> dict:
    """Empty sequences become null, except the keyed ones Compose rebuilds; empty dns entries go."""
    for key, value in doc.items():
        if not isinstance(value, (list, dict)):
            continue
        if key == "services" and isinstance(value, dict):
            for name, service in value.items():
                if isinstance(service, dict):
                    _omit_service(service)
                elif isinstance(service, list):
                    value[name] = _nil_empty(service)
        elif key == "networks" and isinstance(value, dict):
            for net in value.values():
                if isinstance(net, dict):
                    for nkey, item in net.items():
                        if nkey == "labels" and isinstance(item, list):
                            _keep_list(item)
                        elif nkey == "ipam" and isinstance(item, dict):
                            _omit_nested(item, frozenset({"options"}))
                        elif isinstance(item, (list, dict)):
                            net[nkey] = _nil_empty(item)
        else:
            doc[key] = _nil_empty(value)
    return doc


# --------------------------------------------------------------------------- defaults

def _device_request(value: Any, path: Path) -> Any:
    if not isinstance(value, dict):
        raise _fail(f"{_text(path)}: invalid type map[string]interface {{}} for device request", path)
    if "count" not in value and "device_ids" not in value:
        value["count"] = "all"
    return value


def set_default_values(doc: dict) -> dict:
    """Fill the defaults Compose sets on the merged model (in place)."""
    services = doc.get("services")
    if not isinstance(services, dict):
        return doc
    for name, service in services.items():
        if not isinstance(service, dict):
            continue
        path = ("services", name)
        build = service.get("build")
        if isinstance(build, dict):
            build.setdefault("context", ".")
        secrets = service.get("secrets")
        if isinstance(secrets, list):
            for i, secret in enumerate(secrets):
                if not isinstance(secret, dict):
                    raise _fail(f"{_text(path + ('secrets', i))}: unsupported type {go_type(secret)}",
                                path + ("secrets", i))
                if "target" not in secret:
                    secret["target"] = f"/run/secrets/{go_sprint(secret.get('source'))}"
        ports = service.get("ports")
        if isinstance(ports, list):
            for port in ports:
                if isinstance(port, dict):
                    port.setdefault("protocol", "tcp")
                    port.setdefault("mode", "ingress")
        deploy = service.get("deploy")
        if isinstance(deploy, dict):
            resources = deploy.get("resources")
            if isinstance(resources, dict):
                reservations = resources.get("reservations")
                if isinstance(reservations, dict) and isinstance(reservations.get("devices"), list):
                    devices = reservations["devices"]
                    for i, device in enumerate(devices):
                        devices[i] = _device_request(
                            device, path + ("deploy", "resources", "reservations", "devices", i))
        gpus = service.get("gpus")
        if isinstance(gpus, list):
            for i, gpu in enumerate(gpus):
                gpus[i] = _device_request(gpu, path + ("gpus", i))
    return doc
