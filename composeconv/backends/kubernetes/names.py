"""Kubernetes names, label keys and values, made valid and stable from Compose names."""

from __future__ import annotations

import re

from ..common import dns1123_label, stable_hash
from ...lazyre import lazy

MANAGED_BY = "composeconv"

_LABEL_NAME = re.compile(r"^([A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?)?$")
_DNS_SUBDOMAIN = lazy(r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$")
_KEY_CHARS = lazy(r"[^-._a-zA-Z0-9]+")


def object_name(name: str) -> str:
    """A DNS-1035 label (what a Service needs, and valid for every other kind): starts with a letter."""
    label = dns1123_label(name)
    if not label[0].isalpha():
        label = dns1123_label("s-" + name) if len(name) < 61 else dns1123_label("s" + name)
        if not label[0].isalpha():  # a hash suffix kept a leading digit away; prefix by hand
            label = ("s" + label)[:63].rstrip("-")
    return label


def is_label_value(value: str) -> bool:
    return len(value) <= 63 and bool(_LABEL_NAME.match(value))


def is_qualified_name(key: str) -> bool:
    """Whether key is valid as a label or annotation key: [prefix/]name."""
    prefix, slash, name = key.rpartition("/")
    if slash:
        if not prefix or len(prefix) > 253 or not _DNS_SUBDOMAIN.match(prefix):
            return False
    return 0 < len(name) <= 63 and bool(_LABEL_NAME.match(name))


def label_value(text: str) -> str:
    """A valid label value for text; lossy changes get a stable hash suffix."""
    if is_label_value(text):
        return text
    clean = re.sub(r"[^-A-Za-z0-9_.]+", "-", text).strip("-_.")
    clean = clean[:54].strip("-_.")
    return f"{clean}-{stable_hash(text, 8)}" if clean else stable_hash(text, 8)


def data_key(name: str) -> str:
    """A valid ConfigMap or Secret data key ([-._a-zA-Z0-9]+) for a file name."""
    clean = _KEY_CHARS.sub("-", name).strip("-") or "data"
    if clean in (".", ".."):
        clean = "data"
    if clean != name:
        clean = f"{clean[:240]}-{stable_hash(name, 6)}"
    return clean[:253]


def port_name(protocol: str, port: int) -> str:
    """A Service or container port name: an IANA-style name of at most 15 characters."""
    return f"{protocol.lower()}-{port}"


def standard_labels(project: str, name: str) -> dict[str, str]:
    """The app.kubernetes.io labels every object of a service carries."""
    return {
        "app.kubernetes.io/name": label_value(name),
        "app.kubernetes.io/instance": label_value(project or "default"),
        "app.kubernetes.io/part-of": label_value(project or "default"),
        "app.kubernetes.io/managed-by": MANAGED_BY,
    }


def selector_labels(project: str, name: str) -> dict[str, str]:
    """The labels that select a service's pods: derived only from names, so they never change."""
    return {
        "app.kubernetes.io/name": label_value(name),
        "app.kubernetes.io/instance": label_value(project or "default"),
    }


def project_labels(project: str) -> dict[str, str]:
    """Labels for objects shared by the whole project (volumes, configs, secrets)."""
    return {
        "app.kubernetes.io/instance": label_value(project or "default"),
        "app.kubernetes.io/part-of": label_value(project or "default"),
        "app.kubernetes.io/managed-by": MANAGED_BY,
    }


def split_labels(labels: dict[str, str]) -> tuple[dict[str, str], dict[str, str], list[str]]:
    """Compose labels as (valid labels, the rest as annotations, keys valid as neither)."""
    good: dict[str, str] = {}
    notes: dict[str, str] = {}
    bad: list[str] = []
    for key in sorted(labels):
        value = labels[key]
        if is_qualified_name(key):
            if is_label_value(value):
                good[key] = value
            else:
                notes[key] = value
        else:
            bad.append(key)
    return good, notes, bad
