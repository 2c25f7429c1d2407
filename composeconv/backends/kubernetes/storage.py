"""Volumes, tmpfs, bind mounts, configs and secrets: pod volumes, mounts, claims, ConfigMaps, Secrets."""

from __future__ import annotations

import base64
import posixpath
from typing import Any

from ...diagnostics import KeyPath
from ...model import Service
from ...model.types import FileObject, FileReference, Mount
from ...model.values import ValueError_, parse_bytes
from ..common import dns1123_label
from .context import Ctx
from .hints import ProjectHints, ServiceHints, StorageHint, volume_hint
from .names import data_key, object_name, project_labels, split_labels
from .units import memory_quantity

DEFAULT_FILE_MODE = 0o444  # what Compose gives configs and secrets without a mode
_PROPAGATION = {"rshared": "Bidirectional", "shared": "Bidirectional", "rslave": "HostToContainer",
                "slave": "HostToContainer", "private": "None", "rprivate": "None"}


class PodVolumes:
    """The volumes of one pod: each named once, in the order they are first mounted."""

    def __init__(self) -> None:
        self.items: dict[str, dict[str, Any]] = {}

    def add(self, name: str, source: dict[str, Any]) -> str:
        name = dns1123_label(name)
        if name in self.items and self.items[name] != source:
            name = dns1123_label(f"{name}-{len(self.items)}")
        self.items.setdefault(name, source)
        return name

    def specs(self) -> list[dict[str, Any]]:
        return [{"name": n, **self.items[n]} for n in sorted(self.items)]


def claim_for_volume(ctx: Ctx, key: str) -> str:
    vol = ctx.project.volumes.get(key)
    if vol is not None and vol.external:
        return object_name(vol.name or key)
    return object_name(key)


def _basename(path: str) -> str:
    return posixpath.basename(path.rstrip("/")) or "root"


def _dir_contents(ctx: Ctx, source: str) -> dict[str, str]:
    prefix = source.rstrip("/") + "/"
    return {p[len(prefix):]: t for p, t in sorted(ctx.options.file_contents.items()) if p.startswith(prefix)}


class MountBuilder:
    """Builds one container's volumeMounts, adding the pod volumes they need."""

    def __init__(self, ctx: Ctx, service: Service, spath: KeyPath, hints: ServiceHints, project_hints: ProjectHints,
                 pod: PodVolumes, multi_pod: bool, owner: str):
        self.ctx, self.service, self.spath, self.hints = ctx, service, spath, hints
        self.project_hints, self.pod, self.multi_pod, self.owner = project_hints, pod, multi_pod, owner
        self.mounts: list[dict[str, Any]] = []
        self.targets: set[str] = set()

    def _mount(self, path: KeyPath, volume: str, target: str | None, read_only: bool = False,
               sub_path: str | None = None, propagation: str | None = None) -> None:
        if not target:
            self.ctx.warn("k8s-mount-no-target", "mount without a target: skipped", path)
            return
        if not target.startswith("/"):
            target = "/" + target
        if target in self.targets:
            self.ctx.warn("k8s-mount-duplicate", f"a second mount at {target} is not allowed in Kubernetes: skipped",
                          path)
            return
        self.targets.add(target)
        m: dict[str, Any] = {"name": volume, "mountPath": target}
        if propagation:
            m["mountPropagation"] = propagation
        if read_only:
            m["readOnly"] = True
        if sub_path:
            m["subPath"] = sub_path
        self.mounts.append(m)

    def build(self) -> list[dict[str, Any]]:
        for i, mount in enumerate(self.service.volumes):
            self._volume(mount, self.spath + ("volumes", i))
        for i, entry in enumerate(self.service.tmpfs):
            self._tmpfs_entry(entry, self.spath + ("tmpfs", i))
        if self.service.shm_size:
            # Docker sizes /dev/shm itself; in a pod it is a memory emptyDir mounted there
            self._memory_dir(self.spath + ("shm_size",), "/dev/shm", self.service.shm_size)
        for i, ref in enumerate(self.service.configs):
            self._file_ref(ref, self.spath + ("configs", i), secret=False)
        for i, ref in enumerate(self.service.secrets):
            self._file_ref(ref, self.spath + ("secrets", i), secret=True)
        return sorted(self.mounts, key=lambda m: m["mountPath"])

    # -- volumes: entries

    def _volume(self, m: Mount, path: KeyPath) -> None:
        if m.consistency:
            self.ctx.info("k8s-ignored", "consistency only matters for Docker Desktop on macOS", path + ("consistency",))
        if m.type == "volume":
            self._named(m, path)
        elif m.type == "bind":
            self._bind(m, path)
        elif m.type == "tmpfs":
            size = m.tmpfs.size if m.tmpfs else None
            if m.tmpfs and m.tmpfs.mode is not None:
                self.ctx.info("k8s-tmpfs-mode", "tmpfs mode cannot be set on an emptyDir", path + ("tmpfs", "mode"))
            self._memory_dir(path, m.target, size, m.read_only)
        else:
            self.ctx.warn("k8s-mount-type", f"a mount of type {m.type} has no Kubernetes equivalent: skipped",
                          path + ("type",))

    def _named(self, m: Mount, path: KeyPath) -> None:
        opts = m.volume
        if opts is not None:
            if opts.nocopy:
                self.ctx.info("k8s-volume-nocopy", "Kubernetes never copies image content into a volume, "
                              "which is what nocopy asks for", path + ("volume", "nocopy"))
            if opts.labels:
                self.ctx.info("k8s-ignored", "labels of an anonymous volume have nowhere to go",
                              path + ("volume", "labels"))
        sub = opts.subpath if opts else None
        if not m.source:
            name = self.pod.add(f"anon-{m.target}", {"emptyDir": {}})
            self.ctx.info("k8s-anonymous-volume", "anonymous volume becomes an emptyDir that lives as long as "
                          "the pod", path)
            self._mount(path, name, m.target, m.read_only, sub)
            return
        if m.source not in self.ctx.project.volumes:
            self.ctx.warn("k8s-undefined-volume", f"volume {m.source} is not defined at the top level: skipped",
                          path + ("source",))
            return
        claim = claim_for_volume(self.ctx, m.source)
        name = self.pod.add(f"vol-{m.source}", {"persistentVolumeClaim": {"claimName": claim}})
        self.ctx.volume_users.setdefault(m.source, set()).add(self.owner)
        if self.multi_pod:
            self.ctx.volume_multi_pod[m.source] = True
        self._mount(path, name, m.target, m.read_only, sub)

    def _bind(self, m: Mount, path: KeyPath) -> None:
        source = m.source or ""
        b = m.bind
        propagation = None
        if b is not None:
            if b.selinux:
                self.ctx.info("k8s-bind-selinux", "SELinux relabeling (:z/:Z) is done by the container runtime "
                              "in Kubernetes, if at all", path + ("bind", "selinux"))
            if b.recursive:
                self.ctx.info("k8s-ignored", "recursive bind options have no Kubernetes equivalent",
                              path + ("bind", "recursive"))
        contents = self.ctx.options.file_contents
        policy = self.hints.bind_mounts or self.project_hints.bind_mounts or self.ctx.options.bind_mounts
        if source in contents or _dir_contents(self.ctx, source):
            self._bind_configmap(m, path, source)
            return
        create = b is not None and b.create_host_path
        created = (" (Compose creates a missing source folder; so does the container runtime for a hostPath "
                   "without a type)") if create else ""
        if policy == "hostpath":
            if b is not None and b.propagation:
                propagation = _PROPAGATION.get(b.propagation)
                if propagation is None:
                    self.ctx.warn("k8s-bind-propagation", f"propagation {b.propagation} has no Kubernetes "
                                  "equivalent", path + ("bind", "propagation"))
            name = self.pod.add(f"bind-{source}", {"hostPath": {"path": source}})
            self.ctx.warn("k8s-bind-mount", f"bind mount of {source} becomes a hostPath volume: the pod sees that "
                          f"path on whichever node runs it{created}", path,
                          "choose another policy with the bind_mounts option or x-kubernetes.bindMounts, or pass "
                          "the file's contents in file_contents to make a ConfigMap")
            self._mount(path, name, m.target, m.read_only, propagation=propagation)
            return
        if b is not None and b.propagation:
            self.ctx.info("k8s-bind-propagation", "propagation only applies to hostPath volumes",
                          path + ("bind", "propagation"))
        if policy == "emptydir":
            name = self.pod.add(f"bind-{source}", {"emptyDir": {}})
            self.ctx.warn("k8s-bind-mount", f"bind mount of {source} becomes an empty emptyDir: the files of the "
                          "host are not there", path)
        elif policy == "pvc":
            claim = self.ctx.claim_name("PersistentVolumeClaim", object_name(f"{self.owner}-{_basename(source)}"),
                                        f"bind:{self.owner}:{source}")
            self.ctx.bind_claims[claim] = self.owner
            name = self.pod.add(f"bind-{source}", {"persistentVolumeClaim": {"claimName": claim}})
            self.ctx.warn("k8s-bind-mount", f"bind mount of {source} becomes the empty claim {claim}: copy the "
                          "files into it yourself", path)
        else:
            cm = self.ctx.claim_name("ConfigMap", object_name(f"{self.owner}-{_basename(source)}"),
                                     f"bind:{source}")
            key = data_key(_basename(source))
            name = self.pod.add(f"bind-{source}", {"configMap": {"name": cm, "items": [{"key": key, "path": key}]}})
            self.ctx.warn("k8s-bind-configmap-missing", f"bind mount of {source} refers to the ConfigMap {cm}, which "
                          "is not emitted because the file's contents were not given", path,
                          f"kubectl create configmap {cm} --from-file={key}={source}")
            self._mount(path, name, m.target, m.read_only, sub_path=key)
            return
        self._mount(path, name, m.target, m.read_only)

    def _bind_configmap(self, m: Mount, path: KeyPath, source: str) -> None:
        contents = self.ctx.options.file_contents
        known = self.ctx.bind_configmaps.get(source)
        if known is None:
            cm = self.ctx.claim_name("ConfigMap", object_name(f"bind-{_basename(source)}"), f"bind:{source}")
            if source in contents:
                files = {_basename(source): contents[source]}
            else:
                files = _dir_contents(self.ctx, source)
            known = {"name": cm, "files": files, "single": source in contents}
            self.ctx.bind_configmaps[source] = known
        items = [{"key": data_key(rel), "path": rel} for rel in sorted(known["files"])]
        name = self.pod.add(f"bind-{source}", {"configMap": {"name": known["name"], "items": items}})
        what = "file" if known["single"] else f"folder ({len(items)} files)"
        self.ctx.info("k8s-bind-configmap", f"bind mount of the {what} {source} becomes the ConfigMap "
                      f"{known['name']} with the contents given in file_contents", path)
        if not m.read_only:
            self.ctx.info("k8s-bind-configmap-readonly", "ConfigMap volumes are read-only", path)
        self._mount(path, name, m.target, True, sub_path=items[0]["path"] if known["single"] else None)

    def _memory_dir(self, path: KeyPath, target: str | None, size: int | None, read_only: bool = False) -> None:
        spec: dict[str, Any] = {"medium": "Memory"}
        if size:
            spec["sizeLimit"] = memory_quantity(size)
        name = self.pod.add(f"tmpfs-{target}", {"emptyDir": spec})
        self._mount(path, name, target, read_only)

    def _tmpfs_entry(self, entry: str, path: KeyPath) -> None:
        target, _, opts = entry.partition(":")
        size = None
        for opt in filter(None, opts.split(",")):
            key, _, value = opt.partition("=")
            if key == "size":
                try:
                    size = parse_bytes(value)
                except ValueError_:
                    self.ctx.warn("k8s-tmpfs-option", f"tmpfs size {value!r} is not a size", path)
            else:
                self.ctx.info("k8s-tmpfs-option", f"tmpfs option {opt} cannot be set on an emptyDir", path)
        self._memory_dir(path, target, size)

    # -- configs and secrets

    def _file_ref(self, ref: FileReference, path: KeyPath, secret: bool) -> None:
        kind = "secrets" if secret else "configs"
        source = ref.source or ""
        table = self.ctx.project.secrets if secret else self.ctx.project.configs
        if source not in table:
            self.ctx.warn("k8s-undefined-file", f"{kind[:-1]} {source} is not defined at the top level: skipped",
                          path + ("source",))
            return
        (self.ctx.secrets_used if secret else self.ctx.configs_used).setdefault(source, path)
        obj = table[source]
        target = ref.target or source
        if not target.startswith("/"):
            target = ("/run/secrets/" if secret else "/") + target
        for which in ("uid", "gid"):
            if getattr(ref, which) is not None:
                self.ctx.warn("k8s-file-owner", f"{which} of a mounted {kind[:-1]} cannot be set per file in "
                              "Kubernetes (the pod's fsGroup sets the group of all volumes)", path + (which,))
        name = file_object_name(self.ctx, source, obj, secret)
        key = file_object_key(source, obj)
        item = {"key": key, "path": key, "mode": ref.mode if ref.mode is not None else DEFAULT_FILE_MODE}
        # optional: false is Kubernetes' default, written out because `podman kube play` (4.3) needs it
        spec = ({"secret": {"secretName": name, "items": [item], "optional": False}} if secret
                else {"configMap": {"name": name, "items": [item]}})
        volume = self.pod.add(f"{'secret' if secret else 'config'}-{source}-{item['mode']:o}", spec)
        self._mount(path, volume, target, True, sub_path=key)


def file_object_name(ctx: Ctx, key: str, obj: FileObject, secret: bool) -> str:
    if obj.external:
        return object_name(obj.name or key)
    return object_name(key)


def file_object_key(key: str, obj: FileObject) -> str:
    if obj.file:
        return data_key(_basename(obj.file))
    return data_key(key)


def _default_name(ctx: Ctx, key: str) -> str:
    return f"{ctx.project.name}_{key}" if ctx.project.name else key


def _meta_labels(ctx: Ctx, labels: dict[str, str], path: KeyPath, name: str) -> dict[str, Any]:
    good, notes, bad = split_labels(labels)
    for k in bad:
        ctx.warn("k8s-label-key", f"label {k!r} is not a valid Kubernetes label or annotation key: dropped",
                 path + ("labels", k))
    meta: dict[str, Any] = {"name": name, "labels": {**project_labels(ctx.project.name), **good}}
    if notes:
        meta["annotations"] = notes
    return meta


def claims(ctx: Ctx, project_hints: ProjectHints, service_hints: dict[str, ServiceHints]) -> list[dict[str, Any]]:
    """The PersistentVolumeClaims of the named volumes that pods mount, and of bind mounts under policy pvc."""
    out: list[dict[str, Any]] = []
    for key in sorted(ctx.volume_users):
        vol = ctx.project.volumes[key]
        path: KeyPath = ("volumes", key)
        if vol.driver:
            ctx.warn("k8s-volume-driver", f"volume driver {vol.driver} has no meaning for a claim; the storage "
                     "class decides", path + ("driver",))
        if vol.driver_opts:
            ctx.warn("k8s-volume-driver", "volume driver_opts have no meaning for a claim", path + ("driver_opts",))
        if vol.external:
            ctx.info("k8s-external-volume", f"external volume: the claim {claim_for_volume(ctx, key)} must exist",
                     path + ("external",))
            continue
        if vol.name and vol.name != _default_name(ctx, key):
            ctx.info("k8s-volume-name", f"volume name {vol.name} is not used: the claim is named "
                     f"{claim_for_volume(ctx, key)}", path + ("name",))
        users = sorted(ctx.volume_users[key])
        hint = volume_hint(ctx, key, vol)
        merged = StorageHint(
            size=hint.size or next((service_hints[u].storage.size for u in users if service_hints[u].storage.size), None)
            or project_hints.storage.size or ctx.options.storage_size,
            storage_class=hint.storage_class or next((service_hints[u].storage.storage_class for u in users
                                                      if service_hints[u].storage.storage_class), None)
            or project_hints.storage.storage_class or ctx.options.storage_class,
            access_mode=hint.access_mode or next((service_hints[u].storage.access_mode for u in users
                                                  if service_hints[u].storage.access_mode), None)
            or project_hints.storage.access_mode,
        )
        shared = len(users) > 1 or ctx.volume_multi_pod.get(key, False)
        mode = merged.access_mode
        if mode is None:
            mode = "ReadWriteMany" if shared else "ReadWriteOnce"
            if shared:
                ctx.info("k8s-volume-shared", f"volume {key} is mounted by more than one pod "
                         f"({', '.join(users)}): its claim asks for ReadWriteMany, which needs a storage class "
                         "that supports it", path)
        elif shared and mode in ("ReadWriteOnce", "ReadWriteOncePod"):
            ctx.warn("k8s-volume-shared", f"volume {key} is mounted by more than one pod but its access mode "
                     f"is {mode}: pods on other nodes cannot mount it", path)
        labels = {k: v for k, v in vol.labels.items() if not k.startswith("kompose.volume.")}
        spec: dict[str, Any] = {"accessModes": [mode]}
        if merged.storage_class:
            spec["storageClassName"] = merged.storage_class
        spec["resources"] = {"requests": {"storage": merged.size}}
        out.append({"apiVersion": "v1", "kind": "PersistentVolumeClaim",
                    "metadata": _meta_labels(ctx, labels, path, claim_for_volume(ctx, key)), "spec": spec})
    for claim in sorted(ctx.bind_claims):
        spec = {"accessModes": ["ReadWriteOnce"]}
        sc = project_hints.storage.storage_class or ctx.options.storage_class
        if sc:
            spec["storageClassName"] = sc
        spec["resources"] = {"requests": {"storage": project_hints.storage.size or ctx.options.storage_size}}
        out.append({"apiVersion": "v1", "kind": "PersistentVolumeClaim",
                    "metadata": _meta_labels(ctx, {}, (), claim), "spec": spec})
    return out


def _file_text(ctx: Ctx, obj: FileObject) -> str | None:
    if obj.content is not None:
        return obj.content
    if obj.file:
        return ctx.options.file_contents.get(obj.file)
    return None


def file_objects(ctx: Ctx) -> list[dict[str, Any]]:
    """ConfigMaps for the configs services mount, Secrets for their secrets when inlining is allowed."""
    out: list[dict[str, Any]] = []
    for secret, used in ((False, ctx.configs_used), (True, ctx.secrets_used)):
        kind, top = ("secrets", ctx.project.secrets) if secret else ("configs", ctx.project.configs)
        for key in sorted(used):
            obj = top[key]
            path: KeyPath = (kind, key)
            name = file_object_name(ctx, key, obj, secret)
            for attr in ("driver", "driver_opts", "template_driver"):
                if getattr(obj, attr):
                    ctx.warn("k8s-file-driver", f"{attr} of a {kind[:-1]} has no Kubernetes equivalent",
                             path + (attr,))
            if obj.external:
                ctx.info("k8s-external-file", f"external {kind[:-1]}: the {'Secret' if secret else 'ConfigMap'} "
                         f"{name} must exist", path + ("external",))
                continue
            if obj.name and obj.name != _default_name(ctx, key):
                ctx.info("k8s-file-name", f"name {obj.name} is not used: the object is named {name}", path + ("name",))
            dkey = file_object_key(key, obj)
            text = _file_text(ctx, obj)
            create = "secret generic" if secret else "configmap"
            if obj.environment:
                how = f"kubectl create {create} {name} --from-literal={dkey}=\"${obj.environment}\""
                ctx.warn("k8s-file-from-environment", f"{kind[:-1]} {key} comes from the variable {obj.environment} "
                         "when Compose runs; create it before deploying", path + ("environment",), how)
                continue
            if text is None:
                how = f"kubectl create {create} {name} --from-file={dkey}={obj.file}"
                ctx.warn("k8s-file-contents", f"the contents of {obj.file} were not given (file_contents): "
                         f"the {'Secret' if secret else 'ConfigMap'} {name} is referenced, not emitted",
                         path + ("file",), how)
                continue
            if secret and not ctx.options.inline_secrets:
                source = f"--from-file={dkey}={obj.file}" if obj.file else f"--from-literal={dkey}=..."
                ctx.warn("k8s-secret-not-inlined", f"secret values are not written into the output: the Secret "
                         f"{name} is referenced, not emitted", path,
                         f"kubectl create secret generic {name} {source}, or convert with inline_secrets")
                continue
            meta = _meta_labels(ctx, obj.labels, path, name)
            if secret:
                data = base64.b64encode(text.encode("utf-8")).decode("ascii")
                out.append({"apiVersion": "v1", "kind": "Secret", "metadata": meta, "type": "Opaque",
                            "data": {dkey: data}})
            else:
                out.append({"apiVersion": "v1", "kind": "ConfigMap", "metadata": meta, "data": {dkey: text}})
    for source in sorted(ctx.bind_configmaps):
        known = ctx.bind_configmaps[source]
        meta = _meta_labels(ctx, {}, (), known["name"])
        out.append({"apiVersion": "v1", "kind": "ConfigMap", "metadata": meta,
                    "data": {data_key(rel): text for rel, text in sorted(known["files"].items())}})
    return out
