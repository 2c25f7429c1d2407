"""The state one conversion carries: options, names, diagnostics and the objects made so far."""

from __future__ import annotations

from typing import Any

from ...diagnostics import Diagnostic, KeyPath, Level
from ...model import Project
from ..common import diag, dns1123_label, stable_hash
from .options import K8sOptions
from ...records import field, record


@record(frozen=False, slots=False)
class ServiceInfo:
    """What other services need to know about one converted service before its pod is built."""

    compose_name: str
    name: str                        # the Kubernetes name of its workload, Service and container
    controller: str = "Deployment"   # Deployment | StatefulSet | DaemonSet | Job
    pod_owner: str | None = None     # the service whose pod it joins (network_mode: service:X)
    headless: bool = False
    first_tcp_port: int | None = None
    has_service: bool = True
    has_healthcheck: bool = False


@record(frozen=False, slots=False)
class Ctx:
    project: Project
    options: K8sOptions
    diagnostics: list[Diagnostic] = field(default_factory=list)
    services: dict[str, ServiceInfo] = field(default_factory=dict)
    objects: list[dict[str, Any]] = field(default_factory=list)
    # named volume key -> compose services whose pods mount it, and whether any pod may run twice
    volume_users: dict[str, set[str]] = field(default_factory=dict)
    volume_multi_pod: dict[str, bool] = field(default_factory=dict)
    configs_used: dict[str, KeyPath] = field(default_factory=dict)
    secrets_used: dict[str, KeyPath] = field(default_factory=dict)
    bind_configmaps: dict[str, dict[str, Any]] = field(default_factory=dict)
    bind_claims: dict[str, str] = field(default_factory=dict)  # claim name -> service that asked for it
    needs_job_waiter: bool = False
    taken: dict[tuple[str, str], str] = field(default_factory=dict)  # (kind, name) -> what it was made for
    pod_roots: dict[str, str] = field(default_factory=dict)  # service -> owner of the pod it runs in

    def claim_name(self, kind: str, base: str, origin: str) -> str:
        """base, or base with a stable hash of origin when base is already used by something else."""
        owner = self.taken.setdefault((kind, base), origin)
        if owner == origin:
            return base
        name = dns1123_label(f"{base[:50]}-{stable_hash(origin, 6)}")
        self.taken.setdefault((kind, name), origin)
        return name

    def report(self, code: str, level: Level, message: str, path: KeyPath = (), hint: str | None = None) -> None:
        self.diagnostics.append(diag(code, level, message, path, hint))

    def warn(self, code: str, message: str, path: KeyPath = (), hint: str | None = None) -> None:
        self.report(code, Level.WARNING, message, path, hint)

    def info(self, code: str, message: str, path: KeyPath = (), hint: str | None = None) -> None:
        self.report(code, Level.INFO, message, path, hint)

    def error(self, code: str, message: str, path: KeyPath = (), hint: str | None = None) -> None:
        self.report(code, Level.ERROR, message, path, hint)

    def add(self, obj: dict[str, Any]) -> None:
        self.objects.append(obj)
