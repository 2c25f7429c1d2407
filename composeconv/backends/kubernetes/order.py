"""The fixed order of objects (by kind, then name) and of keys inside them, and the output files."""

from __future__ import annotations

from typing import Any

from ... import emit
from .. import OutputFile

KIND_ORDER = ("Namespace", "ServiceAccount", "Role", "RoleBinding", "ConfigMap", "Secret", "PersistentVolumeClaim",
              "Service", "Deployment", "StatefulSet", "DaemonSet", "Job", "Ingress", "HorizontalPodAutoscaler")
_TOP_KEYS = ("apiVersion", "kind", "metadata", "type", "spec", "data", "stringData", "rules", "roleRef", "subjects")
_META_KEYS = ("name", "namespace", "labels", "annotations")


def _ordered(obj: dict[str, Any]) -> dict[str, Any]:
    out = {k: obj[k] for k in _TOP_KEYS if k in obj}
    out.update({k: v for k, v in obj.items() if k not in out})
    meta = out.get("metadata")
    if isinstance(meta, dict):
        out["metadata"] = {k: meta[k] for k in _META_KEYS if k in meta and meta[k] != {}}
    return out


def sort_objects(objects: list[dict[str, Any]]) -> list[dict[str, Any]]:
    rank = {k: i for i, k in enumerate(KIND_ORDER)}
    return [_ordered(o) for o in sorted(objects, key=lambda o: (rank.get(o["kind"], len(rank)),
                                                                 o["metadata"]["name"]))]


def output_files(objects: list[dict[str, Any]], split: bool, fmt: str) -> tuple[OutputFile, ...]:
    ext = "json" if fmt == "json" else "yaml"
    if split:
        files = []
        for o in objects:
            path = f"{o['metadata']['name']}-{o['kind'].lower()}.{ext}"
            files.append(OutputFile(path, emit.dump_json(o) if fmt == "json" else emit.dump(o)))
        return tuple(files)
    if fmt == "json":
        return (OutputFile("kubernetes.json", emit.dump_json({"apiVersion": "v1", "kind": "List", "items": objects})),)
    return (OutputFile("kubernetes.yaml", emit.dump_all(objects)),)
