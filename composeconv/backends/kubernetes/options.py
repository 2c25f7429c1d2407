"""The Kubernetes backend's own options, read from ConvertOptions.extra and checked."""

from __future__ import annotations

from typing import Any, Mapping

from ...diagnostics import Diagnostic, Level
from .. import ConvertOptions
from ..common import diag, is_secret_env, secret_env_patterns
from ...records import field, record

CONTROLLERS = {"deployment": "Deployment", "statefulset": "StatefulSet", "daemonset": "DaemonSet", "job": "Job"}
BIND_POLICIES = ("hostpath", "emptydir", "pvc", "configmap")

# name -> (default, one-line description); docs/kubernetes.md lists these.
EXTRA_OPTIONS: dict[str, tuple[Any, str]] = {
    "controller": (None, "workload kind for every service without its own hint: deployment, statefulset, daemonset or job"),
    "wait_image": ("busybox:1.36", "image of the init containers that wait for depends_on (needs sh, nslookup and nc -z)"),
    "kubectl_image": ("registry.k8s.io/kubectl:v1.33.0",
                      "image with kubectl that waits for a Job to complete (service_completed_successfully)"),
    "cluster_domain": ("cluster.local", "the cluster's DNS domain, used by the depends_on waits"),
    "optional_wait_seconds": (300, "how long a wait for a `required: false` dependency lasts before the pod starts anyway"),
    "bind_mounts": ("hostpath", "what a bind mount becomes: hostpath, emptydir, pvc or configmap"),
    "file_contents": ({}, "mapping of absolute file path -> text, for configs, secrets and bind mounts to embed"),
    "env_configmap": (False, "put each service's environment into a ConfigMap `<service>-env` read with envFrom"),
    "storage_size": ("1Gi", "size requested by a PersistentVolumeClaim without its own hint"),
    "storage_class": (None, "storageClassName of PersistentVolumeClaims without their own hint"),
    "liveness_probes": (True, "also turn healthchecks into liveness probes (readiness probes are always made)"),
    "secret_env": ((), "names or shell patterns (case-insensitive; a list, or one string separated by commas) of "
                       "service environment variables whose values are secrets: they are read from a Secret "
                       "`<service>-env`, written only with inline_secrets"),
}


@record(slots=False)
class K8sOptions:
    split: bool = False
    format: str = "yaml"
    namespace: str | None = None
    inline_secrets: bool = False
    controller: str | None = None
    wait_image: str = "busybox:1.36"
    kubectl_image: str = "registry.k8s.io/kubectl:v1.33.0"
    cluster_domain: str = "cluster.local"
    optional_wait_seconds: int = 300
    bind_mounts: str = "hostpath"
    file_contents: Mapping[str, str] = field(default_factory=dict)
    env_configmap: bool = False
    storage_size: str = "1Gi"
    storage_class: str | None = None
    liveness_probes: bool = True
    secret_env: tuple[str, ...] = ()

    def is_secret_env(self, name: str) -> bool:
        """Whether the service environment variable `name` holds a secret (option secret_env)."""
        return is_secret_env(self.secret_env, name)


def _bad(name: str, value: Any, why: str) -> Diagnostic:
    return diag("k8s-bad-option", Level.WARNING, f"option {name}={value!r} ignored: {why}", ())


def read_options(options: ConvertOptions) -> tuple[K8sOptions, list[Diagnostic]]:
    """The typed options, and a diagnostic for each one that is unknown or has a wrong value."""
    out: dict[str, Any] = {}
    diags: list[Diagnostic] = []
    for name in sorted(options.extra):
        value = options.extra[name]
        if name not in EXTRA_OPTIONS:
            # the value is not shown: an unknown option may carry anything, secrets included
            diags.append(diag("k8s-bad-option", Level.WARNING,
                              f"option {name!r} ignored: not an option of the kubernetes target", ()))
            continue
        default = EXTRA_OPTIONS[name][0]
        if name == "controller":
            if not isinstance(value, str) or value.lower() not in CONTROLLERS:
                diags.append(_bad(name, value, f"expected one of {', '.join(CONTROLLERS)}"))
                continue
            value = value.lower()
        elif name == "bind_mounts":
            if not isinstance(value, str) or value.lower() not in BIND_POLICIES:
                diags.append(_bad(name, value, f"expected one of {', '.join(BIND_POLICIES)}"))
                continue
            value = value.lower()
        elif name == "file_contents":
            if not isinstance(value, Mapping) or not all(isinstance(k, str) and isinstance(v, str)
                                                         for k, v in value.items()):
                diags.append(_bad(name, "...", "expected a mapping of path to text"))
                continue
        elif name == "secret_env":
            patterns = secret_env_patterns(value)
            if patterns is None:
                diags.append(_bad(name, "...", "expected a list of names or patterns"))
                continue
            value = patterns
        elif isinstance(default, bool):
            if not isinstance(value, bool):
                diags.append(_bad(name, value, "expected true or false"))
                continue
        elif isinstance(default, int):
            if isinstance(value, bool) or not isinstance(value, int) or value < 0:
                diags.append(_bad(name, value, "expected a whole number of seconds"))
                continue
        elif not isinstance(value, str) or not value:
            diags.append(_bad(name, value, "expected a non-empty string"))
            continue
        out[name] = value
    fmt = options.format if options.format in ("yaml", "json") else "yaml"
    if fmt != options.format:
        diags.append(_bad("format", options.format, "expected yaml or json"))
    return K8sOptions(split=options.split, format=fmt, namespace=options.namespace,
                      inline_secrets=options.inline_secrets, **out), diags
