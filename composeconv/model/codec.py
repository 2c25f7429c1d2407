"""Decode a normalized Compose document into the model, and encode the model back.

Decoding follows what Docker Compose does when it reads its normalized document into its
own types (list forms of mappings, healthcheck strings, byte sizes, CPU counts, durations);
encoding prints the model the way `docker compose config` prints it.
"""

from __future__ import annotations

import shlex
from functools import lru_cache
from typing import Any, Callable

from ..diagnostics import ComposeError, Diagnostic, KeyPath, Level
from ..gofmt import go_float, go_sprint
from ..sourcemap import SourceMap
from .types import DeviceRequest, FileObject, Project, SSHKey, Ulimit
from .values import Duration, ValueError_, float32_repr, parse_bytes, to_float32
from .. import records


class DecodeError(Exception):
    def __init__(self, path: KeyPath, message: str):
        super().__init__(message)
        self.path = path
        self.message = message


# ---------------------------------------------------------------- scalar decoders

def _str(v: Any, path: KeyPath) -> str | None:
    if v is None:
        return None
    if isinstance(v, str):
        return v
    if isinstance(v, bool):
        raise DecodeError(path, f"expected a string, got {go_sprint(v)}")
    if isinstance(v, int):
        return str(v)
    if isinstance(v, float):
        return go_float(v)
    raise DecodeError(path, f"expected a string, got {type(v).__name__}")


def _int(v: Any, path: KeyPath) -> int | None:
    if v is None:
        return None
    if isinstance(v, bool):
        raise DecodeError(path, f"expected an integer, got {go_sprint(v)}")
    if isinstance(v, int):
        return v
    if isinstance(v, float) and v.is_integer():
        return int(v)
    if isinstance(v, str):
        try:
            return int(v, 10)
        except ValueError:
            pass
    raise DecodeError(path, f"expected an integer, got {v!r}")


def _bool(v: Any, path: KeyPath) -> bool | None:
    if v is None:
        return None
    if isinstance(v, bool):
        return v
    if isinstance(v, str):
        low = v.lower()
        if low in ("y", "yes", "true", "on"):
            return True
        if low in ("n", "no", "false", "off"):
            return False
    raise DecodeError(path, f"expected a boolean, got {v!r}")


def _float32(v: Any, path: KeyPath) -> float | None:
    if v is None:
        return None
    if isinstance(v, bool):
        raise DecodeError(path, f"expected a number, got {v!r}")
    try:
        return to_float32(float(v))
    except (TypeError, ValueError):
        raise DecodeError(path, f"expected a number, got {v!r}") from None


def _bytes(v: Any, path: KeyPath) -> int | None:
    if v is None:
        return None
    try:
        return parse_bytes(v)
    except ValueError_ as e:
        raise DecodeError(path, str(e)) from None


def _duration(v: Any, path: KeyPath) -> Duration | None:
    if v is None:
        return None
    try:
        return Duration.parse(go_sprint(v) if not isinstance(v, (str, int)) else v)
    except ValueError_ as e:
        raise DecodeError(path, str(e)) from None


def _filemode(v: Any, path: KeyPath) -> int | None:
    if v is None:
        return None
    if isinstance(v, bool):
        raise DecodeError(path, "unexpected value type bool for mode")
    if isinstance(v, int):
        return v
    if isinstance(v, str):
        try:
            return int(v, 8)
        except ValueError:
            raise DecodeError(path, f'strconv.ParseInt: parsing "{v}": invalid syntax') from None
    raise DecodeError(path, f"unexpected value type {type(v).__name__} for mode")


def _devicecount(v: Any, path: KeyPath) -> int | None:
    if v is None:
        return None
    if isinstance(v, str):
        if v.lower() == "all":
            return -1
        try:
            return int(v, 10)
        except ValueError:
            raise DecodeError(path, f"invalid value {v!r}, the only value allowed is 'all' or a number") from None
    return _int(v, path)


def _strlist(v: Any, path: KeyPath) -> tuple[str, ...]:
    if v is None:
        return ()
    if isinstance(v, str):
        return (v,)
    if isinstance(v, list):
        return tuple(go_sprint(e) if not isinstance(e, str) else e for e in v)
    raise DecodeError(path, f"invalid type {type(v).__name__} for string list")


def _mapping(v: Any, path: KeyPath) -> dict[str, str]:
    if v is None:
        return {}
    if isinstance(v, dict):
        return {str(k): ("" if e is None else go_sprint(e)) for k, e in sorted(v.items(), key=lambda i: str(i[0]))}
    if isinstance(v, list):
        out: dict[str, str] = {}
        for s in v:
            k, _, e = go_sprint(s).partition("=")
            out[k] = e
        return dict(sorted(out.items()))
    raise DecodeError(path, f"unexpected value type {type(v).__name__} for mapping")


def _labels(v: Any, path: KeyPath) -> dict[str, str]:
    if isinstance(v, dict):
        return {str(k): ("" if e is None else go_sprint(e)) for k, e in sorted(v.items(), key=lambda i: str(i[0]))}
    return _mapping(v, path)


def _mapping_eq(v: Any, path: KeyPath) -> dict[str, str | None]:
    if v is None:
        return {}
    if isinstance(v, dict):
        return {str(k): (None if e is None else go_sprint(e)) for k, e in sorted(v.items(), key=lambda i: str(i[0]))}
    if isinstance(v, list):
        out: dict[str, str | None] = {}
        for i, s in enumerate(v):
            k, eq, e = go_sprint(s).partition("=")
            if k and k[-1].isspace():
                raise DecodeError(path + (i,), f"environment variable {k} is declared with a trailing space")
            out[k] = e if eq else None
        return dict(sorted(out.items()))
    raise DecodeError(path, f"unexpected value type {type(v).__name__} for mapping")


def _multioptions(v: Any, path: KeyPath) -> dict[str, tuple[str, ...]]:
    if v is None:
        return {}
    if not isinstance(v, dict):
        raise DecodeError(path, "invalid type for options")
    return {str(k): tuple(go_sprint(x) for x in (e if isinstance(e, list) else [e])) for k, e in sorted(v.items())}


def _command(v: Any, path: KeyPath) -> tuple[str, ...] | None:
    if v is None:
        return None
    if isinstance(v, str):
        try:
            return tuple(shell_split(v))
        except ValueError as e:
            raise DecodeError(path, str(e)) from None
    if isinstance(v, list):
        return tuple(go_sprint(e) if not isinstance(e, str) else e for e in v)
    raise DecodeError(path, f"expected a string or a list, got {type(v).__name__}")


def shell_split(text: str) -> list[str]:
    """Split a command string into words, POSIX style, as Compose does for command/entrypoint."""
    lex = shlex.shlex(text, posix=True, punctuation_chars=False)
    lex.whitespace_split = True
    lex.commenters = ""
    try:
        return list(lex)
    except ValueError as e:
        raise ValueError(f"invalid command line string: {e}") from None


def _healthtest(v: Any, path: KeyPath) -> tuple[str, ...]:
    if v is None:
        return ()
    if isinstance(v, str):
        return ("CMD-SHELL", v)
    if isinstance(v, list):
        return tuple(go_sprint(e) if not isinstance(e, str) else e for e in v)
    raise DecodeError(path, f"unexpected value type {type(v).__name__} for healthcheck.test")


def _hosts(v: Any, path: KeyPath) -> dict[str, tuple[str, ...]]:
    if v is None:
        return {}
    out: dict[str, list[str]] = {}
    if isinstance(v, dict):
        for k, e in v.items():
            if e is None:
                e = ""
            out[str(k)] = [go_sprint(x) for x in e] if isinstance(e, list) else [go_sprint(e)]
    elif isinstance(v, list):
        for s in v:
            s = go_sprint(s)
            for sep in ("=", ":"):
                host, ok, ip = s.partition(sep)
                if ok:
                    out.setdefault(host, []).extend(ip.split(","))
                    break
            else:
                raise DecodeError(path, f"invalid additional host, missing IP: {s}")
    else:
        raise DecodeError(path, f"unexpected value type {type(v).__name__} for extra_hosts")
    for host, ips in out.items():
        if not host or ":" in host or "=" in host:
            raise DecodeError(path, f"bad host name '{host}'")
        out[host] = [ip[1:-1] if len(ip) > 2 and ip[0] == "[" and ip[-1] == "]" else ip for ip in ips]
    # Compose prints extra_hosts as sorted host=ip lines, so the model keeps them sorted too
    return {k: tuple(sorted(out[k])) for k in sorted(out)}


def _ulimits(v: Any, path: KeyPath) -> dict[str, Ulimit]:
    if v is None:
        return {}
    if not isinstance(v, dict):
        raise DecodeError(path, "ulimits must be a mapping")
    out: dict[str, Ulimit] = {}
    for name, e in sorted(v.items()):
        p = path + (name,)
        if isinstance(e, dict):
            out[name] = Ulimit(soft=_int(e.get("soft"), p + ("soft",)) or None,
                               hard=_int(e.get("hard"), p + ("hard",)) or None,
                               extensions=_extensions(e))
        else:
            out[name] = Ulimit(single=_int(e, p) or None)
    return out


def _ssh(v: Any, path: KeyPath) -> tuple[SSHKey, ...]:
    if v is None:
        return ()
    if isinstance(v, list):  # short syntax: "default" or "id=path"
        keys = []
        for s in v:
            i, eq, p = go_sprint(s).partition("=")
            keys.append(SSHKey(id=i, path=p if eq else None))
        return tuple(keys)
    if isinstance(v, dict):
        return tuple(SSHKey(id=str(k), path=None if p is None else go_sprint(p)) for k, p in v.items())
    raise DecodeError(path, f"invalid ssh config type {type(v).__name__}")


def _gpus(v: Any, path: KeyPath) -> tuple[DeviceRequest, ...]:
    if v is None:
        return ()
    if isinstance(v, str) and v.lower() == "all":
        return (DeviceRequest(count=-1),)
    if isinstance(v, list):
        return tuple(decode_object(DeviceRequest, e, path + (i,)) for i, e in enumerate(v))
    raise DecodeError(path, "gpus must be 'all' or a list")


def _any_list(v: Any, path: KeyPath) -> tuple[Any, ...]:
    if v is None:
        return ()
    return tuple(v) if isinstance(v, list) else (v,)


def _extensions(d: dict) -> dict[str, Any]:
    return {k: v for k, v in d.items() if isinstance(k, str) and k.startswith("x-")}


SCALARS: dict[str, Callable[[Any, KeyPath], Any]] = {
    "str": _str, "name": _str, "int": _int, "bool": _bool, "float32": _float32, "nanocpus": _float32,
    "bytes": _bytes, "duration": _duration, "filemode": _filemode, "devicecount": _devicecount,
    "strlist": _strlist, "mapping": _mapping, "options": _mapping, "labels": _labels,
    "mapping_eq": _mapping_eq, "multioptions": _multioptions, "command": _command,
    "healthtest": _healthtest, "hosts": _hosts, "ulimits": _ulimits, "ssh": _ssh, "gpus": _gpus,
    "any_list": _any_list,
}

_ZERO = (None, "", 0, False)


@lru_cache(maxsize=None)
def _fields(cls: type) -> tuple[tuple[str, str | None, Any, bool, bool], ...]:
    out = []
    for f in records.fields(cls):
        m = f.metadata
        out.append((f.name, m.get("key"), m.get("kind"), m.get("omit", True), m.get("ptr", False)))
    return tuple(out)


@lru_cache(maxsize=None)
def _json_keys(cls: type) -> dict[str, str]:
    return {f.metadata["key"]: f.metadata.get("json_key") or f.metadata["key"]
            for f in records.fields(cls) if f.metadata.get("key")}


def _decode_value(kind: Any, v: Any, path: KeyPath) -> Any:
    if isinstance(kind, str):
        return SCALARS[kind](v, path)
    if isinstance(kind, tuple):
        how, cls = kind
        if v is None:
            return () if how == "list" else {}
        if how == "list":
            if not isinstance(v, list):
                raise DecodeError(path, "expected a list")
            return tuple(decode_object(cls, e, path + (i,)) for i, e in enumerate(v))
        if not isinstance(v, dict):
            raise DecodeError(path, "expected a mapping")
        if how == "map_nullable":
            return {str(k): (None if e is None else decode_object(cls, e, path + (k,)))
                    for k, e in sorted(v.items(), key=lambda i: str(i[0]))}
        return {str(k): decode_object(cls, e if e is not None else {}, path + (k,), name=str(k))
                for k, e in sorted(v.items(), key=lambda i: str(i[0]))}
    return decode_object(kind, v, path)


def decode_object(cls: type, data: Any, path: KeyPath = (), name: str | None = None) -> Any:
    """Build a model object of class cls from a normalized Compose mapping."""
    if data is None:
        data = {}
    if not isinstance(data, dict):
        raise DecodeError(path, f"expected a mapping, got {type(data).__name__}")
    kwargs: dict[str, Any] = {}
    for attr, key, kind, omit, ptr in _fields(cls):
        if kind == "extensions":
            kwargs[attr] = _extensions(data)
            continue
        if kind == "name":
            if name is not None:
                kwargs[attr] = name
            continue
        if key is None:
            continue
        if key not in data:
            # also accept the name Compose's JSON printer uses (blkio devices: Path, Rate, Weight)
            key = _json_keys(cls).get(key, key)
            if key not in data:
                continue
        v = _decode_value(kind, data[key], path + (key,))
        if omit and not ptr and v in _ZERO and not isinstance(v, tuple):
            continue  # Compose drops zero values of such keys; so does the model
        if v is None:
            continue
        kwargs[attr] = v
    return cls(**kwargs)


def decode_project(data: dict, sourcemap: SourceMap | None = None, *, working_dir: str | None = None,
                   files: tuple[str, ...] = ()) -> Project:
    """Decode the normalized document of a whole project; errors carry key paths and positions."""
    try:
        project = decode_object(Project, data)
        project = _with_environment_values(project)
    except DecodeError as e:
        pos = sourcemap.get(e.path) if sourcemap else None
        raise ComposeError(Diagnostic("invalid-value", Level.ERROR, e.message, e.path, pos)) from None
    return records.replace(project, working_dir=working_dir, files=tuple(files))


# The loader puts the value of an `environment:` secret or config under this key, as Compose does.
VALUE_KEY = "x-#value"


def _with_environment_values(project: Project) -> Project:
    def fix(objs: dict[str, FileObject]) -> dict[str, FileObject]:
        out = {}
        for name, o in objs.items():
            if VALUE_KEY in o.extensions:
                ext = {k: v for k, v in o.extensions.items() if k != VALUE_KEY}
                value = o.extensions[VALUE_KEY]
                o = records.replace(o, content=None if value is None else go_sprint(value), extensions=ext)
            out[name] = o
        return out

    if not any(VALUE_KEY in o.extensions for o in (*project.secrets.values(), *project.configs.values())):
        return project
    return records.replace(project, secrets=fix(project.secrets), configs=fix(project.configs))


# ---------------------------------------------------------------- encoding

def _enc_scalar(kind: str, v: Any, compose_json: bool) -> Any:
    if kind == "bytes":
        return str(v)
    if kind in ("float32", "nanocpus"):
        return float32_repr(v)
    if kind == "duration":
        return str(v)
    if kind == "filemode":
        return "0" + format(v, "o")
    if kind == "hosts":
        return sorted(f"{h}={ip}" for h, ips in v.items() for ip in ips)
    if kind == "ulimits":
        return {k: (u.single if u.single else _enc_obj(u, compose_json)) for k, u in v.items()}
    if kind == "ssh":
        return [k.id if k.path is None else f"{k.id}={k.path}" for k in v]
    if kind == "gpus":
        return [_enc_obj(d, compose_json) for d in v]
    if isinstance(v, tuple):
        return list(v)
    if isinstance(v, dict):
        return {k: (list(x) if isinstance(x, tuple) else x) for k, x in v.items()}
    return v


def _is_empty(kind: Any, v: Any) -> bool:
    if v is None:
        return True
    if isinstance(v, (tuple, dict, str)) and len(v) == 0:
        return True
    return v is False or (type(v) is int and v == 0)


def _enc_obj(obj: Any, compose_json: bool) -> dict[str, Any]:
    out: dict[str, Any] = {}
    jkeys = _json_keys(type(obj))
    for attr, key, kind, omit, ptr in _fields(type(obj)):
        v = getattr(obj, attr)
        if kind == "extensions":
            if not compose_json:
                out.update(v)
            continue
        if key is None or kind in ("name", "meta"):
            continue
        if compose_json:
            key = jkeys[key]
        if kind == "command" and v is None:
            if not omit and compose_json:
                out[key] = None
            continue
        if v is None or (omit and not ptr and _is_empty(kind, v)) or (ptr and v is None):
            continue
        if isinstance(kind, tuple):
            how, _cls = kind
            if how == "list":
                out[key] = [_enc_obj(e, compose_json) for e in v]
            else:
                out[key] = {k: (None if e is None else _enc_obj(e, compose_json)) for k, e in v.items()}
        elif isinstance(kind, type):
            out[key] = _enc_obj(v, compose_json)
        else:
            out[key] = _enc_scalar(kind, v, compose_json)
    return out


def encode_project(project: Project, *, compose_json: bool = True, secret_content: bool = False) -> dict[str, Any]:
    """The project as a plain document.

    compose_json=True prints what `docker compose config --format json` prints (Compose drops
    x-* keys below the top level and has no place for top-level models); False keeps them.
    secret_content=False leaves out, as Compose does, the content of secrets and of configs taken
    from the environment; True (with compose_json=False) gives a document that decodes to the same
    model.
    """
    out = _enc_obj(project, compose_json)
    if not secret_content:
        for kind in ("secrets", "configs"):
            for name, obj in (out.get(kind) or {}).items():
                src: FileObject = getattr(project, kind)[name]
                if kind == "secrets" or src.environment:
                    obj.pop("content", None)
    if compose_json:
        out.pop("models", None)
        out.update(project.extensions)
    return out


def map_strings(obj: Any, fn: Callable[[str], str]) -> Any:
    """obj with fn applied to every string in it, keys included."""
    if isinstance(obj, str):
        return fn(obj)
    if isinstance(obj, dict):
        return {map_strings(k, fn): map_strings(v, fn) for k, v in obj.items()}
    if isinstance(obj, list):
        return [map_strings(v, fn) for v in obj]
    return obj


def escape_dollars(doc: Any) -> Any:
    """`$` written as `$$`, as `docker compose config` prints an interpolated project so it loads again."""
    return map_strings(doc, lambda s: s.replace("$", "$$"))


def unescape_dollars(doc: Any) -> Any:
    """The inverse of escape_dollars."""
    return map_strings(doc, lambda s: s.replace("$$", "$"))
