"""Parsers for the short syntaxes Compose expands: ports ("8080:80/udp") and volumes ("./a:/b:ro")."""

from __future__ import annotations

import functools
import ipaddress
import posixpath
from typing import Any


class SyntaxProblem(ValueError):
    """A short-syntax value that Compose rejects; the message is Compose's."""


# --------------------------------------------------------------------------- paths

def go_path_clean(path: str) -> str:
    """path.Clean from Go (POSIX): like normpath, but a leading '//' becomes '/'."""
    if path == "":
        return "."
    cleaned = posixpath.normpath(path)
    if cleaned.startswith("//"):
        cleaned = "/" + cleaned.lstrip("/")
    return cleaned


# --------------------------------------------------------------------------- volumes

_BIND_PROPAGATIONS = {"rprivate", "private", "rshared", "shared", "rslave", "slave"}
_SELINUX = {"z", "Z"}


def _is_windows_drive(buffer: list[str], char: str) -> bool:
    return char == ":" and len(buffer) == 1 and buffer[0].isalpha()


def is_file_path(source: str) -> bool:
    if not source:
        return False
    if source[0] in "./~":
        return True
    if source.startswith("\\\\"):
        return True
    return len(source) > 1 and _is_windows_drive([source[0]], source[1])


def parse_volume(spec: str) -> dict[str, Any]:
    """Parse a volume short syntax into its long syntax mapping (only non-empty fields)."""
    parsed = _parse_volume_cached(spec)
    return {k: (dict(v) if isinstance(v, dict) else v) for k, v in parsed.items()}


@functools.lru_cache(maxsize=4096)
def _parse_volume_cached(spec: str) -> dict[str, Any]:
    vol: dict[str, Any] = {"type": "", "source": "", "target": "", "read_only": False}
    n = len(spec.encode("utf-8"))
    if n == 0:
        raise SyntaxProblem("invalid empty volume spec")
    if n <= 2:
        return {"type": "volume", "target": spec}
    if "$" not in spec and "\\" not in spec:
        parts = spec.split(":")
        if len(parts) <= 3 and all(len(p) > 1 or (p and not p.isalpha()) for p in parts):
            if len(parts) == 1:
                vol["target"] = spec
            else:
                vol["source"], vol["target"] = parts[0], parts[1]
                if len(parts) == 3:
                    _populate("\0", list(parts[2]), vol)
            _populate_type(vol)
            return _encode_volume(vol)
    buffer: list[str] = []
    depth = 0
    text = spec + "\0"
    last = len(spec)
    for i, char in enumerate(text):
        if char == "$" and i + 1 < last and spec[i + 1] == "{":
            depth += 1
            buffer.append(char)
            continue
        if char == "}" and depth > 0:
            depth -= 1
            buffer.append(char)
            continue
        if _is_windows_drive(buffer, char):
            buffer.append(char)
        elif (char == ":" or i == last) and depth == 0:
            try:
                _populate(char if i < last else "\0", buffer, vol)
            except SyntaxProblem as exc:
                raise SyntaxProblem(f"invalid spec: {spec}: {exc}") from None
            buffer = []
        else:
            buffer.append(char)
    _populate_type(vol)
    return _encode_volume(vol)


def _populate(char: str, buffer: list[str], vol: dict[str, Any]) -> None:
    text = "".join(buffer)
    if not buffer:
        raise SyntaxProblem("empty section between colons")
    if vol["source"] == "" and char == "\0":
        vol["target"] = text
        return
    if vol["source"] == "":
        vol["source"] = text
        return
    if vol["target"] == "":
        vol["target"] = text
        return
    if char == ":":
        raise SyntaxProblem("too many colons")
    for option in text.split(","):
        if option == "ro":
            vol["read_only"] = True
        elif option == "rw":
            vol["read_only"] = False
        elif option == "nocopy":
            vol["volume"] = {"nocopy": True}
        elif option in _BIND_PROPAGATIONS:
            vol.setdefault("bind", {})["propagation"] = option
        elif option in _SELINUX:
            vol.setdefault("bind", {})["selinux"] = option


def _populate_type(vol: dict[str, Any]) -> None:
    if is_file_path(vol["source"]):
        vol["type"] = "bind"
        vol.setdefault("bind", {})["create_host_path"] = True
    else:
        vol["type"] = "volume"
        vol.setdefault("volume", {})


def _encode_volume(vol: dict[str, Any]) -> dict[str, Any]:
    out: dict[str, Any] = {"type": vol["type"]}
    if vol["source"]:
        out["source"] = vol["source"]
    if vol["target"]:
        out["target"] = vol["target"]
    if vol["read_only"]:
        out["read_only"] = True
    if "bind" in vol:
        out["bind"] = vol["bind"]
    if "volume" in vol:
        out["volume"] = vol["volume"]
    return out


# --------------------------------------------------------------------------- ports

def _parse_uint16(text: str) -> int:
    if not text or not text.isascii() or not text.isdigit():
        raise SyntaxProblem(f"invalid syntax: {text}")
    value = int(text)
    if value > 0xFFFF:
        raise SyntaxProblem(f"value out of range: {text}")
    return value


def _parse_port_range(text: str) -> tuple[int, int]:
    if text == "":
        raise SyntaxProblem("empty string specified for ports")
    if "-" not in text:
        value = _parse_uint16(text)
        return value, value
    parts = text.split("-")
    start = _parse_uint16(parts[0])
    end = _parse_uint16(parts[1])
    if end < start:
        raise SyntaxProblem(f"invalid range specified for port: {text}")
    return start, end


def parse_ip(text: str) -> bool:
    """Whether Go's net.ParseIP accepts text."""
    if "%" in text or not text:
        return False
    try:
        ipaddress.ip_address(text)
    except ValueError:
        return False
    return True


def _split_parts(raw: str) -> tuple[str, str, str]:
    parts = raw.split(":")
    if len(parts) == 1:
        return "", "", parts[0]
    if len(parts) == 2:
        return "", parts[0], parts[1]
    if len(parts) == 3:
        return parts[0], parts[1], parts[2]
    return ":".join(parts[:-2]), parts[-2], parts[-1]


def _parse_port_spec(raw: str) -> list[tuple[str, str, str]]:
    """Return (container port "80/tcp", host ip, host port) per mapping, as go-connections does."""
    ip, host_port, container = _split_parts(raw)
    container, _, proto = container.partition("/")
    if container == "":
        proto = ""
    elif proto == "":
        proto = "tcp"
    proto = proto.lower()
    if proto not in ("tcp", "udp", "sctp"):
        raise SyntaxProblem("invalid proto: " + proto)
    if ip and ip[0] == "[":
        if "]" not in ip:
            raise SyntaxProblem(f"invalid IP address {ip}: address {ip}: missing ']' in address")
        inner, _, rest = ip[1:].partition("]")
        if rest:
            raise SyntaxProblem(f"invalid IP address {ip}: address {ip}:: too many colons in address")
        ip = inner
    if ip and not parse_ip(ip):
        raise SyntaxProblem("invalid IP address: " + ip)
    if container == "":
        raise SyntaxProblem(f"no port specified: {raw}<empty>")
    try:
        start, end = _parse_port_range(container)
    except SyntaxProblem:
        raise SyntaxProblem("invalid containerPort: " + container) from None
    host_start = host_end = 0
    if host_port:
        try:
            host_start, host_end = _parse_port_range(host_port)
        except SyntaxProblem:
            raise SyntaxProblem("invalid hostPort: " + host_port) from None
        if end - start != host_end - host_start and end != start:
            raise SyntaxProblem(
                f"invalid ranges specified for container and host Ports: {container} and {host_port}")
    count = end - start + 1
    out = []
    for i in range(count):
        published = ""
        if host_port:
            published = str(host_start + i)
            if count == 1 and host_start != host_end:
                published += f"-{host_end}"
        out.append((f"{start + i}/{proto}", ip, published))
    return out


def parse_port(raw: str) -> list[dict[str, Any]]:
    """Expand a port short syntax into long syntax mappings, in Compose's order."""
    bindings: dict[str, list[tuple[str, str]]] = {}
    for port, ip, published in _parse_port_spec(raw):
        bindings.setdefault(port, []).append((ip, published))
    result = []
    for port in sorted(bindings):
        number, _, proto = port.partition("/")
        for ip, published in bindings[port]:
            entry: dict[str, Any] = {"mode": "ingress"}
            if ip:
                entry["host_ip"] = ip
            if int(number):
                entry["target"] = int(number)
            if published:
                entry["published"] = published
            if proto:
                entry["protocol"] = proto
            result.append(entry)
    return result
