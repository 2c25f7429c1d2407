"""Merging Compose files (and extended services) the way Compose does, plus list de-duplication.

Rules (override/merge.go): mappings merge key by key, sequences are appended, scalars are
replaced; some keys have their own rule: command/entrypoint/healthcheck.test are replaced;
environment, labels, annotations, sysctls, dns*, tmpfs, env_file, label_file and build
args/labels/additional_contexts are turned into `KEY=VALUE` sequences and appended;
extra_hosts are appended without duplicates; depends_on/networks/models merge as mappings
whatever syntax each side uses; build merges its short and long syntax; logging options
merge only when the driver is the same; ulimits entries and ipam configs (by subnet) are
replaced. After a merge, sequences whose items are keyed (ports, volumes, secrets, ...) keep
one item per key, the later one in the place of the earlier (override/uncity.go).
"""

from __future__ import annotations

from typing import Any, Callable

from ..diagnostics import ComposeError, Diagnostic, Level
from ..gofmt import go_sprint, go_type
from .shortsyntax import SyntaxProblem, parse_volume

Path = tuple[str, ...]


def _err(message: str, path: Path = ()) -> ComposeError:
    return ComposeError(Diagnostic("merge", Level.ERROR, message, tuple(path)))


def _dotted(path: Path) -> str:
    return ".".join(str(p) for p in path)


# --------------------------------------------------------------------------- conversions

def to_sequence(value: Any) -> list | None:
    """A mapping as sorted KEY=VALUE items, a string as a one-item list, a list as itself."""
    if isinstance(value, dict):
        seq: list = []
        for key, val in value.items():
            if val is None:
                seq.append(key)
            elif isinstance(val, list):
                seq.extend(f"{key}={go_sprint(v)}" for v in val)
            else:
                seq.append(f"{key}={go_sprint(val)}")
        seq.sort()
        return seq
    if isinstance(value, list):
        return value
    if isinstance(value, str):
        return [value]
    return None


def to_mapping(value: Any, default: dict | None) -> dict | None:
    """A list of names as a mapping name -> copy of default (or None)."""
    if isinstance(value, dict):
        return value
    if isinstance(value, list):
        out: dict = {}
        for item in value:
            key = item if isinstance(item, str) else go_sprint(item)
            out[key] = dict(default) if default is not None else None
        return out
    return None


def _append(right: list | None, left: list | None) -> list | None:
    if not left:
        return right
    return (right or []) + left


# --------------------------------------------------------------------------- special rules

def _merge_to_sequence(base: Any, over: Any, path: Path) -> Any:
    return _append(to_sequence(base), to_sequence(over))


def _merge_extra_hosts(base: Any, over: Any, path: Path) -> Any:
    right = to_sequence(base)
    left = to_sequence(over)
    if left and right:
        left = [v for v in left if v not in right]
    return _append(right, left)


def _override(base: Any, over: Any, path: Path) -> Any:
    return over


_DEPENDS_DEFAULT = {"condition": "service_started", "required": True}


def _merge_depends_on(base: Any, over: Any, path: Path) -> Any:
    right = to_mapping(base, _DEPENDS_DEFAULT)
    left = to_mapping(over, _DEPENDS_DEFAULT)
    return merge_mappings(right if right is not None else {}, left or {}, path)


def _merge_as_mapping(base: Any, over: Any, path: Path) -> Any:
    right = to_mapping(base, None)
    left = to_mapping(over, None)
    return merge_mappings(right if right is not None else {}, left or {}, path)


def _merge_build(base: Any, over: Any, path: Path) -> Any:
    def as_build(value: Any) -> dict | None:
        if isinstance(value, str):
            return {"context": value}
        if isinstance(value, dict):
            return value
        return None
    right = as_build(base)
    left = as_build(over)
    if right is None:
        return left
    return merge_mappings(right, left or {}, path)


def _merge_logging(base: Any, over: Any, path: Path) -> Any:
    if not isinstance(base, dict) or not isinstance(over, dict):
        return over if over is not None else base
    if "driver" not in over or "driver" not in base or over["driver"] == base["driver"]:
        return merge_mappings(base, over, path)
    return over


def _merge_ulimit(base: Any, over: Any, path: Path) -> Any:
    return over


def _merge_ipam_config(base: Any, over: Any, path: Path) -> Any:
    if not isinstance(base, list) or not isinstance(over, list):
        raise _err(f"{_dotted(path)}: unexpected type", path)
    result: list = []

    def index_of(subnet: Any) -> int:
        for i, item in enumerate(result):
            if item.get("subnet") == subnet:
                return i
        return -1

    for original in base:
        right = to_mapping(original, None) or {}
        for entry in over:
            left = to_mapping(entry, None) or {}
            if left.get("subnet") != right.get("subnet"):
                if index_of(left.get("subnet")) < 0:
                    result.append(left)
                    continue
            merged = merge_mappings(right, left, path)
            i = index_of(merged.get("subnet"))
            if i >= 0:
                result[i] = merged
            else:
                result.append(merged)
    return result


Merger = Callable[[Any, Any, Path], Any]

# patterns relative to the document root; "*" matches any key
_SPECIALS: dict[Path, Merger] = {
    ("networks", "*", "ipam", "config"): _merge_ipam_config,
    ("networks", "*", "labels"): _merge_to_sequence,
    ("volumes", "*", "labels"): _merge_to_sequence,
    ("services", "*", "annotations"): _merge_to_sequence,
    ("services", "*", "build"): _merge_build,
    ("services", "*", "build", "args"): _merge_to_sequence,
    ("services", "*", "build", "additional_contexts"): _merge_to_sequence,
    ("services", "*", "build", "extra_hosts"): _merge_extra_hosts,
    ("services", "*", "build", "labels"): _merge_to_sequence,
    ("services", "*", "command"): _override,
    ("services", "*", "depends_on"): _merge_depends_on,
    ("services", "*", "deploy", "labels"): _merge_to_sequence,
    ("services", "*", "dns"): _merge_to_sequence,
    ("services", "*", "dns_opt"): _merge_to_sequence,
    ("services", "*", "dns_search"): _merge_to_sequence,
    ("services", "*", "entrypoint"): _override,
    ("services", "*", "env_file"): _merge_to_sequence,
    ("services", "*", "label_file"): _merge_to_sequence,
    ("services", "*", "environment"): _merge_to_sequence,
    ("services", "*", "extra_hosts"): _merge_extra_hosts,
    ("services", "*", "healthcheck", "test"): _override,
    ("services", "*", "labels"): _merge_to_sequence,
    ("services", "*", "volumes", "*", "volume", "labels"): _merge_to_sequence,
    ("services", "*", "logging"): _merge_logging,
    ("services", "*", "models"): _merge_as_mapping,
    ("services", "*", "networks"): _merge_as_mapping,
    ("services", "*", "sysctls"): _merge_to_sequence,
    ("services", "*", "tmpfs"): _merge_to_sequence,
    ("services", "*", "ulimits", "*"): _merge_ulimit,
}
_PREFIXES: set[Path] = {pattern[:i] for pattern in _SPECIALS for i in range(1, len(pattern) + 1)}


def _next_pattern(pattern: Path | None, key: str) -> Path | None:
    if pattern is None:
        return None
    exact = pattern + (key,)
    if exact in _PREFIXES:
        return exact
    wild = pattern + ("*",)
    if wild in _PREFIXES:
        return wild
    return None


def merge_value(base: Any, over: Any, path: Path, pattern: Path | None) -> Any:
    if pattern is not None:
        special = _SPECIALS.get(pattern)
        if special is not None:
            return special(base, over, path)
    if over is None:
        return base
    if isinstance(base, dict):
        if not isinstance(over, dict):
            raise _err(f"cannot override {_dotted(path)}", path)
        return _merge_mappings(base, over, path, pattern)
    if isinstance(base, list):
        if not isinstance(over, list):
            raise _err(f"cannot override {_dotted(path)}", path)
        return base + over
    return over


def _merge_mappings(base: dict, over: dict, path: Path, pattern: Path | None) -> dict:
    for key, value in over.items():
        if key not in base:
            base[key] = value
            continue
        base[key] = merge_value(base[key], value, path + (key,), _next_pattern(pattern, key))
    return base


def merge_mappings(base: dict, over: dict, path: Path) -> dict:
    """Merge over into base (in place) at path, applying the rules that match below it."""
    pattern: Path | None = ()
    for part in path:
        pattern = _next_pattern(pattern, part)
        if pattern is None:
            break
    return _merge_mappings(base, over, path, pattern)


def merge(base: dict, over: dict) -> dict:
    """Merge a whole Compose document onto another (in place on base)."""
    return _merge_mappings(base, over, (), ())


def extend_service(base: dict, service: dict) -> dict:
    """Merge a service onto the service it extends (the base is modified)."""
    return _merge_mappings(base, service, ("services", "x"), ("services", "*"))


# --------------------------------------------------------------------------- unicity

def _go_s(value: Any) -> str:
    if isinstance(value, str):
        return value
    if value is None:
        return "%!s(<nil>)"
    if isinstance(value, bool):
        return f"%!s(bool={'true' if value else 'false'})"
    if isinstance(value, int):
        return f"%!s(int={value})"
    if isinstance(value, float):
        return f"%!s(float64={go_sprint(value)})"
    return f"%!s({go_sprint(value)})"


def _go_d(value: Any) -> str:
    if isinstance(value, int) and not isinstance(value, bool):
        return str(value)
    if value is None:
        return "%!d(<nil>)"
    if isinstance(value, str):
        return f"%!d(string={value})"
    if isinstance(value, bool):
        return f"%!d(bool={'true' if value else 'false'})"
    return f"%!d({go_sprint(value)})"


def _key_value_index(entry: Any, path: Path) -> str:
    if isinstance(entry, str):
        return entry.split("=", 1)[0]
    raise _err(f"{_dotted(path)}: unexpected type {go_type(entry)}", path)


def _volume_index(entry: Any, path: Path) -> str:
    if isinstance(entry, dict):
        target = entry.get("target")
        if not isinstance(target, str):
            raise _err(f"service volume {_dotted(path)} is missing a mount target", path)
        return target
    if isinstance(entry, str):
        try:
            return parse_volume(entry).get("target", "")
        except SyntaxProblem as exc:
            raise _err(str(exc), path) from None
    return ""


def _device_index(entry: Any, path: Path) -> str:
    if isinstance(entry, dict):
        target = entry.get("target")
        if not isinstance(target, str):
            raise _err(f"service device {_dotted(path)} is missing a mount target", path)
        return target
    if isinstance(entry, str):
        parts = entry.split(":")
        return parts[0] if len(parts) == 1 else parts[1]
    return ""


def _expose_index(entry: Any, path: Path) -> str:
    if isinstance(entry, str):
        return entry
    if isinstance(entry, int) and not isinstance(entry, bool):
        return str(entry)
    raise _err(f"{_dotted(path)}: unsupported expose value {_go_s(entry)}", path)


def _mount_index(default: str) -> Callable[[Any, Path], str]:
    def index(entry: Any, path: Path) -> str:
        if isinstance(entry, str):
            return f"{default}/{entry}"
        if isinstance(entry, dict):
            if "target" in entry:
                return _go_s(entry["target"])
            return f"{default}/{_go_s(entry.get('source'))}"
        raise _err(f"{_dotted(path)}: unsupported expose value {_go_s(entry)}", path)
    return index


def _port_index(entry: Any, path: Path) -> str:
    if isinstance(entry, int) and not isinstance(entry, bool):
        return str(entry)
    if isinstance(entry, dict):
        if "target" not in entry:
            raise _err(f"service ports {_dotted(path)} is missing a target port", path)
        host = entry.get("host_ip", "0.0.0.0")
        protocol = entry.get("protocol", "tcp")
        return f"{_go_s(host)}:{_go_s(entry.get('published'))}:{_go_d(entry['target'])}/{_go_s(protocol)}"
    if isinstance(entry, str):
        return entry
    return ""


def _env_file_index(entry: Any, path: Path) -> str:
    if isinstance(entry, str):
        return entry
    if isinstance(entry, dict):
        if "path" in entry:
            return _go_s(entry["path"])
        raise _err(f"environment path attribute {_dotted(path)} is missing", path)
    return ""


Indexer = Callable[[Any, Path], str]

_SERVICE_UNIQUE: dict[str, Indexer] = {
    "annotations": _key_value_index,
    "cap_add": _key_value_index,
    "cap_drop": _key_value_index,
    "devices": _device_index,
    "configs": _mount_index(""),
    "dns": _key_value_index,
    "dns_opt": _key_value_index,
    "dns_search": _key_value_index,
    "environment": _key_value_index,
    "env_file": _env_file_index,
    "expose": _expose_index,
    "labels": _key_value_index,
    "links": _key_value_index,
    "ports": _port_index,
    "profiles": _key_value_index,
    "secrets": _mount_index("/run/secrets"),
    "sysctls": _key_value_index,
    "tmpfs": _key_value_index,
    "volumes": _volume_index,
}
_BUILD_UNIQUE = ("args", "additional_contexts", "platform", "tags", "labels")


def _dedupe(seq: list, indexer: Indexer, path: Path) -> list:
    out: list = []
    seen: dict[str, int] = {}
    if indexer is _key_value_index:
        for i, entry in enumerate(seq):
            if type(entry) is str:
                key = entry.split("=", 1)[0]
            else:
                key = _key_value_index(entry, path + (f"[{i}]",))
            j = seen.get(key)
            if j is not None:
                out[j] = entry
            else:
                seen[key] = len(out)
                out.append(entry)
        return out
    for i, entry in enumerate(seq):
        key = indexer(entry, path + (f"[{i}]",))
        j = seen.get(key)
        if j is not None:
            out[j] = entry
        else:
            seen[key] = len(out)
            out.append(entry)
    return out


def enforce_unicity(doc: dict) -> dict:
    """Keep one item per key in the keyed sequences of a document (in place)."""
    services = doc.get("services")
    if isinstance(services, dict):
        for name, service in services.items():
            if not isinstance(service, dict):
                continue
            base = ("services", name)
            for key, value in service.items():
                if type(value) is list:
                    indexer = _SERVICE_UNIQUE.get(key)
                    if indexer is not None:
                        service[key] = _dedupe(value, indexer, base + (key,))
            build = service.get("build")
            if isinstance(build, dict):
                for key in _BUILD_UNIQUE:
                    value = build.get(key)
                    if isinstance(value, list):
                        build[key] = _dedupe(value, _key_value_index, base + ("build", key))
            deploy = service.get("deploy")
            if isinstance(deploy, dict) and isinstance(deploy.get("labels"), list):
                deploy["labels"] = _dedupe(deploy["labels"], _key_value_index, base + ("deploy", "labels"))
            networks = service.get("networks")
            if isinstance(networks, dict):
                for net_name, net in networks.items():
                    if isinstance(net, dict):
                        for key in ("aliases", "link_local_ips"):
                            if isinstance(net.get(key), list):
                                net[key] = _dedupe(net[key], _key_value_index,
                                                   base + ("networks", net_name, key))
    networks = doc.get("networks")
    if isinstance(networks, dict):
        for name, net in networks.items():
            if not isinstance(net, dict):
                continue
            if isinstance(net.get("labels"), list):
                net["labels"] = _dedupe(net["labels"], _key_value_index, ("networks", name, "labels"))
            ipam = net.get("ipam")
            if isinstance(ipam, dict) and isinstance(ipam.get("options"), list):
                ipam["options"] = _dedupe(ipam["options"], _key_value_index, ("networks", name, "ipam", "options"))
    return doc
