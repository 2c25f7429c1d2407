"""The Kubernetes output as a Kustomize base: one resource file per object, generators for configs and secrets."""

from __future__ import annotations

import posixpath
import re
from typing import Any

from .. import emit
from ..backends import ConvertOptions, ConvertResult, OutputFile
from ..backends.common import diag
from ..backends.kubernetes.names import data_key, label_value, object_name, project_labels, split_labels
from ..diagnostics import KeyPath, Level
from ..model import Project
from ..model.types import FileObject
from .. import records

OPTIONS = {"output_dir": "absolute path of the folder the base is written to: generator files are named "
                         "relative to it"}
PART_OF = "app.kubernetes.io/part-of"
MANAGED_BY = "app.kubernetes.io/managed-by"
POD_KINDS = ("Deployment", "StatefulSet", "DaemonSet", "Job")
_ENV_KEY = re.compile(r"^[-._a-zA-Z0-9]+$")
_REFERENCED = re.compile(r"\b(ConfigMap|Secret) (\S+) is referenced")

DIAGNOSTIC_CODES: dict[str, str] = {
    "kustomize-generated": "a ConfigMap or Secret is made by a generator of the kustomization",
    "kustomize-outside-base": "generator files lie outside the base: build with --load-restrictor LoadRestrictionsNone",
    "kustomize-absolute-paths": "the base's folder is not known: generator files are named by absolute path",
    "kustomize-bad-option": "a kustomize option has a wrong value and was ignored",
}



class Generators:
    """configMapGenerator and secretGenerator entries, and the files written next to the kustomization."""

    def __init__(self, project: Project, output_dir: str | None, namespace: str | None, common: dict[str, str]):
        self.project, self.output_dir, self.namespace, self.common = project, output_dir, namespace, common
        self.entries: dict[str, list[dict[str, Any]]] = {"ConfigMap": [], "Secret": []}
        self.files: list[OutputFile] = []
        self.generated: dict[tuple[str, str], KeyPath] = {}
        self.outside: list[str] = []

    def path_of(self, path: str) -> str:
        """A project file as the kustomization names it: relative to the base's folder when that is known."""
        if self.output_dir is None:
            return path
        rel = posixpath.relpath(path, self.output_dir)
        if rel.startswith("../"):
            self.outside.append(path)
        return rel

    def add(self, kind: str, name: str, origin: KeyPath, meta: dict[str, Any], sources: dict[str, list[str]]) -> None:
        entry: dict[str, Any] = {"name": name}
        if self.namespace:
            entry["namespace"] = self.namespace
        if kind == "Secret":
            entry["type"] = "Opaque"
        entry.update(sources)
        labels = {k: v for k, v in meta.get("labels", {}).items() if self.common.get(k) != v}
        opts: dict[str, Any] = {}
        if labels:
            opts["labels"] = labels
        if meta.get("annotations"):
            opts["annotations"] = meta["annotations"]
        if opts:
            entry["options"] = opts
        self.entries[kind].append(entry)
        self.generated[(kind, name)] = origin

    def write(self, path: str, content: str) -> str:
        self.files.append(OutputFile(path, content))
        return path


def _file_meta(project: Project, obj: FileObject, name: str) -> dict[str, Any]:
    """Labels and annotations of a config's or secret's object, as the Kubernetes target gives them."""
    good, notes, _ = split_labels(dict(obj.labels))
    meta: dict[str, Any] = {"name": name, "labels": {**project_labels(project.name), **good}}
    if notes:
        meta["annotations"] = notes
    return meta


def _referenced(objects: list[dict[str, Any]]) -> set[tuple[str, str]]:
    """(kind, name) of the ConfigMaps and Secrets that pods mount or read their environment from."""
    out: set[tuple[str, str]] = set()
    for obj in objects:
        if obj["kind"] not in POD_KINDS:
            continue
        pod = obj["spec"]["template"]["spec"]
        for v in pod.get("volumes", []):
            if "configMap" in v:
                out.add(("ConfigMap", v["configMap"]["name"]))
            elif "secret" in v:
                out.add(("Secret", v["secret"]["secretName"]))
        for c in pod.get("initContainers", []) + pod["containers"]:
            for ref in c.get("envFrom", []):
                if "configMapRef" in ref:
                    out.add(("ConfigMap", ref["configMapRef"]["name"]))
    return out


def _file_generators(gen: Generators, project: Project, objects: dict[tuple[str, str], dict[str, Any]],
                     referenced: set[tuple[str, str]], inline_secrets: bool) -> None:
    """Generators for the configs and secrets pods mount: from the project's files, or from their content."""
    for secret, table in ((False, project.configs), (True, project.secrets)):
        kind = "Secret" if secret else "ConfigMap"
        top = "secrets" if secret else "configs"
        for key in sorted(table):
            obj = table[key]
            name = object_name(key)
            if obj.external or (kind, name) not in referenced:
                continue
            meta = objects.get((kind, name), {}).get("metadata") or _file_meta(project, obj, name)
            if obj.file:
                dkey = data_key(posixpath.basename(obj.file.rstrip("/")) or "root")
                gen.add(kind, name, (top, key, "file"), meta, {"files": [f"{dkey}={gen.path_of(obj.file)}"]})
            elif obj.content is not None and (inline_secrets or not secret):
                dkey = data_key(key)
                path = gen.write(f"{'secrets' if secret else 'configs'}/{name}/{dkey}", obj.content)
                gen.add(kind, name, (top, key, "content"), meta, {"files": [f"{dkey}={path}"]})


def _env_generators(gen: Generators, project: Project, objects: list[dict[str, Any]],
                    referenced: set[tuple[str, str]]) -> None:
    """The environment ConfigMaps (option env_configmap) as env files that a generator reads."""
    env_of = {object_name(f"{object_name(s)}-env"): ("services", s, "environment") for s in sorted(project.services)}
    for obj in objects:
        name = obj["metadata"]["name"]
        if obj["kind"] != "ConfigMap" or ("ConfigMap", name) not in referenced or ("ConfigMap", name) in gen.generated:
            continue
        data = obj.get("data", {})
        if not name.endswith("-env") or not data or not all(
                _ENV_KEY.match(k) and not k.startswith("#") and "\n" not in v and "\r" not in v
                for k, v in data.items()):
            continue  # not an environment ConfigMap, or one that an env file cannot hold: stays a resource
        path = gen.write(f"env/{name}.env", "".join(f"{k}={v}\n" for k, v in data.items()))
        gen.add("ConfigMap", name, env_of.get(name, ()), obj["metadata"], {"envs": [path]})


def _common_labels(project: Project, objects: list[dict[str, Any]]) -> dict[str, str]:
    """The labels every object and pod template carries, set once by the kustomization (else none)."""
    common = {PART_OF: label_value(project.name or "default"), MANAGED_BY: "composeconv"}
    for obj in objects:
        if obj["kind"] == "Namespace":
            continue
        maps = [obj["metadata"].get("labels", {})]
        if obj["kind"] in POD_KINDS:
            maps.append(obj["spec"]["template"]["metadata"].get("labels", {}))
        if any(m.get(k) != v for m in maps for k, v in common.items()):
            return {}
    return common


def _without(labels: dict[str, str], common: dict[str, str]) -> dict[str, str]:
    return {k: v for k, v in labels.items() if common.get(k) != v}


def _resource(obj: dict[str, Any], common: dict[str, str]) -> dict[str, Any]:
    obj = {**obj, "metadata": dict(obj["metadata"])}
    if "labels" in obj["metadata"]:
        obj["metadata"]["labels"] = _without(obj["metadata"]["labels"], common)
        if not obj["metadata"]["labels"]:
            del obj["metadata"]["labels"]
    if obj["kind"] in POD_KINDS:
        spec = dict(obj["spec"])
        template = dict(spec["template"])
        template["metadata"] = dict(template["metadata"], labels=_without(template["metadata"].get("labels", {}),
                                                                            common))
        spec["template"] = template
        obj["spec"] = spec
    return obj


def package(project: Project, result: ConvertResult, options: ConvertOptions) -> ConvertResult:
    """A Kustomize base that builds the objects of the Kubernetes result (generated ones get hash suffixes)."""
    diags = list(result.diagnostics)
    output_dir = options.extra.get("output_dir")
    if output_dir is not None and not (isinstance(output_dir, str) and output_dir.startswith("/")):
        diags.append(diag("kustomize-bad-option", Level.WARNING, f"option output_dir={output_dir!r} ignored: "
                          "expected an absolute path", ()))
        output_dir = None
    objects = list(result.objects)
    namespace = next((o["metadata"]["name"] for o in objects if o["kind"] == "Namespace"), None)
    common = _common_labels(project, objects)
    base_dir = (output_dir.rstrip("/") or "/") if output_dir else None
    gen = Generators(project, base_dir, namespace, common)
    by_key = {(o["kind"], o["metadata"]["name"]): o for o in objects}
    referenced = _referenced(objects)
    _file_generators(gen, project, by_key, referenced, options.inline_secrets)
    _env_generators(gen, project, objects, referenced)

    # the Kubernetes target's word that these objects are only referenced no longer holds
    superseded = set(gen.generated)
    diags = [d for d in diags if not (d.code in ("k8s-file-contents", "k8s-secret-not-inlined")
                                      and (m := _REFERENCED.search(d.message))
                                      and (m.group(1), m.group(2)) in superseded)]
    for (kind, name), origin in sorted(gen.generated.items()):
        diags.append(diag("kustomize-generated", Level.INFO, f"the {kind} {name} is made by the kustomization's "
                          f"{'secretGenerator' if kind == 'Secret' else 'configMapGenerator'}, with a hash "
                          "suffix that changes with its contents", origin))
    if output_dir is None and any("files" in e for es in gen.entries.values() for e in es
                                  if any(f.split("=", 1)[1].startswith("/") for f in e.get("files", []))):
        diags.append(diag("kustomize-absolute-paths", Level.WARNING, "the folder of the base is not known (option "
                          "output_dir): the generators name the project's files by absolute path", (),
                          "build with kubectl kustomize --load-restrictor LoadRestrictionsNone DIR"))
    elif gen.outside:
        diags.append(diag("kustomize-outside-base", Level.INFO, "the generators read project files outside the "
                          f"base ({', '.join(sorted(set(gen.outside)))}), which kustomize refuses by default", (),
                          "build with kubectl kustomize --load-restrictor LoadRestrictionsNone DIR"))

    # the caller places the Kubernetes target's diagnostics in the source; these share their key paths
    positions = {d.path: d.position for d in result.diagnostics if d.path and d.position}
    diags = [d if d.position or d.path not in positions else records.replace(d, position=positions[d.path])
             for d in diags]

    json_format = options.format == "json"
    files: list[OutputFile] = list(gen.files)
    resources = []
    for obj in objects:
        key = (obj["kind"], obj["metadata"]["name"])
        if key in superseded:
            continue
        path = f"{obj['metadata']['name']}-{obj['kind'].lower()}.{'json' if json_format else 'yaml'}"
        body = _resource(obj, common)
        files.append(OutputFile(path, emit.dump_json(body) if json_format else emit.dump(body)))
        resources.append(path)
    kustomization: dict[str, Any] = {"apiVersion": "kustomize.config.k8s.io/v1beta1", "kind": "Kustomization"}
    if common:
        kustomization["labels"] = [{"pairs": common, "includeTemplates": True}]
    kustomization["resources"] = resources
    if gen.entries["ConfigMap"]:
        kustomization["configMapGenerator"] = gen.entries["ConfigMap"]
    if gen.entries["Secret"]:
        kustomization["secretGenerator"] = gen.entries["Secret"]
    head = (f"# Kustomize base made by composeconv from the Compose project {project.name or ''}: "
            "build it with `kubectl kustomize DIR`.\n")
    files.append(OutputFile("kustomization.yaml", head + emit.dump(kustomization)))
    files.sort(key=lambda f: f.path)
    return ConvertResult(files=tuple(files), diagnostics=tuple(diags), objects=result.objects)
