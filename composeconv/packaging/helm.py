"""The Kubernetes output as a Helm chart: Chart.yaml, values per service, templates that read them, helpers."""

from __future__ import annotations

import re
from typing import Any

from .. import emit
from ..backends import ConvertOptions, ConvertResult, OutputFile
from ..backends.common import diag
from ..backends.kubernetes.names import label_value, object_name
from ..diagnostics import Diagnostic, Level
from ..model import Project
from .helm_templates import ObjectTemplates, go_string
from .helm_values import ChartIndex, build_values, values_schema

DEFAULT_CHART_VERSION = "0.1.0"
DEFAULT_APP_VERSION = "1.0.0"
OPTIONS = {"chart_version": "the chart's version (SemVer 2), default 0.1.0",
           "app_version": "the chart's appVersion, default 1.0.0"}

DIAGNOSTIC_CODES: dict[str, str] = {
    "helm-bad-option": "a chart option has a wrong value and was ignored",
    "helm-namespace": "the chart installs into the release's namespace instead of creating the Namespace",
    "helm-secret-values": "inlined secret values are in values.yaml",
    "helm-json-format": "chart templates are YAML whatever the manifest format",
    "helm-external-objects": "the chart refers to objects that must exist before it is installed",
}

_HELMIGNORE = "# Patterns of files `helm package` leaves out\n.git/\n*.swp\n*.bak\n*.tmp\n*~\n"
_SEMVER = re.compile(r"^(0|[1-9]\d*)\.(0|[1-9]\d*)\.(0|[1-9]\d*)(-[0-9A-Za-z.-]+)?(\+[0-9A-Za-z.-]+)?$")



def _chart_options(options: ConvertOptions, diags: list[Diagnostic]) -> tuple[str, str]:
    version = options.extra.get("chart_version", DEFAULT_CHART_VERSION)
    if not isinstance(version, str) or not _SEMVER.match(version):
        diags.append(diag("helm-bad-option", Level.WARNING, f"option chart_version={version!r} ignored: a chart "
                          f"version must be SemVer 2 (such as 1.2.3): using {DEFAULT_CHART_VERSION}", ()))
        version = DEFAULT_CHART_VERSION
    app = options.extra.get("app_version", DEFAULT_APP_VERSION)
    if not isinstance(app, str) or not app:
        diags.append(diag("helm-bad-option", Level.WARNING, f"option app_version={app!r} ignored: expected a "
                          f"non-empty string: using {DEFAULT_APP_VERSION}", ()))
        app = DEFAULT_APP_VERSION
    return version, app


def chart_name(project: Project) -> str:
    """The chart's name: the project's name as a DNS label that starts with a letter."""
    return object_name(project.name or "compose")


def _chart_yaml(name: str, project: Project, version: str, app_version: str) -> str:
    return emit.dump({
        "apiVersion": "v2",
        "name": name,
        "description": f"The Compose project {project.name or name}, converted by composeconv",
        "type": "application",
        "version": version,
        "appVersion": app_version,
    })


def _helpers(chart: str) -> str:
    c = chart
    return f'''{{{{/*
The chart's name, at most 63 characters.
*/}}}}
{{{{- define "{c}.name" -}}}}
{{{{- default .Chart.Name .Values.nameOverride | trunc 63 | trimSuffix "-" }}}}
{{{{- end }}}}

{{{{/*
The release's full name: the release name, followed by the chart's name unless it already holds it.
*/}}}}
{{{{- define "{c}.fullname" -}}}}
{{{{- if .Values.fullnameOverride }}}}
{{{{- .Values.fullnameOverride | trunc 63 | trimSuffix "-" }}}}
{{{{- else }}}}
{{{{- $name := default .Chart.Name .Values.nameOverride }}}}
{{{{- if contains $name .Release.Name }}}}
{{{{- .Release.Name | trunc 63 | trimSuffix "-" }}}}
{{{{- else }}}}
{{{{- printf "%s-%s" .Release.Name $name | trunc 63 | trimSuffix "-" }}}}
{{{{- end }}}}
{{{{- end }}}}
{{{{- end }}}}

{{{{/*
Chart name and version, for the helm.sh/chart label.
*/}}}}
{{{{- define "{c}.chart" -}}}}
{{{{- printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" | trunc 63 | trimSuffix "-" }}}}
{{{{- end }}}}

{{{{/*
The name of an object the chart creates, called with (list $ "name"): the name from the Compose project
(the name other containers use to reach a Service), or with prefixNames the release's full name before it.
*/}}}}
{{{{- define "{c}.objectName" -}}}}
{{{{- $root := index . 0 }}}}
{{{{- $name := index . 1 }}}}
{{{{- if $root.Values.prefixNames }}}}
{{{{- printf "%s-%s" (include "{c}.fullname" $root) $name | trunc 63 | trimSuffix "-" }}}}
{{{{- else }}}}
{{{{- $name }}}}
{{{{- end }}}}
{{{{- end }}}}

{{{{/*
Selector labels, called with (dict "root" $ "name" "service"); without a name for objects of the whole project.
Selectors cannot change after install: these depend on the service's and the release's names only.
*/}}}}
{{{{- define "{c}.selectorLabels" -}}}}
{{{{- with .name }}}}
app.kubernetes.io/name: {{{{ . | quote }}}}
{{{{- end }}}}
app.kubernetes.io/instance: {{{{ .root.Release.Name | quote }}}}
{{{{- end }}}}

{{{{/*
Labels of every object, called like selectorLabels (with "partOf": the Compose project's name).
*/}}}}
{{{{- define "{c}.labels" -}}}}
helm.sh/chart: {{{{ include "{c}.chart" .root | quote }}}}
{{{{ include "{c}.selectorLabels" . }}}}
{{{{- with .partOf }}}}
app.kubernetes.io/part-of: {{{{ . | quote }}}}
{{{{- end }}}}
app.kubernetes.io/managed-by: {{{{ .root.Release.Service | quote }}}}
{{{{- end }}}}

{{{{/*
An image reference from a service's image values: repository, then :tag and @digest when set.
*/}}}}
{{{{- define "{c}.image" -}}}}
{{{{- .repository }}}}{{{{ with .tag }}}}:{{{{ . }}}}{{{{ end }}}}{{{{ with .digest }}}}@{{{{ . }}}}{{{{ end }}}}
{{{{- end }}}}

{{{{/*
The first TCP port of a service's Service ports: what the dependency waits and the Ingress connect to.
*/}}}}
{{{{- define "{c}.firstTcpPort" -}}}}
{{{{- $port := "" }}}}
{{{{- range . }}}}
{{{{- if and (not $port) (eq (default "TCP" .protocol) "TCP") }}}}
{{{{- $port = .port }}}}
{{{{- end }}}}
{{{{- end }}}}
{{{{- if not $port }}}}
{{{{- fail "a service that others wait for or an Ingress routes to needs a TCP port in service.ports" }}}}
{{{{- end }}}}
{{{{- $port }}}}
{{{{- end }}}}
'''


_VALUES_HEAD = """\
# Default values of the chart made by composeconv from the Compose project {project}.
#
# prefixNames: false keeps the names of the Compose project, which are the names the containers use to reach
#   each other; true starts every object's name with the release's full name, so that one namespace can hold
#   several releases (the containers must then be told the new host names, for example in their env).
# services.<name>: one block per Compose service, under its Kubernetes name:
#   replicas            Deployments and StatefulSets
#   image               repository, tag, digest (when pinned) and pullPolicy ("" leaves it to Kubernetes)
#   env                 environment variables (Kubernetes expands $(VAR) in them; $$ is a literal $)
#   resources           container resources (requests and limits)
#   probes              readiness, liveness, startup: false turns a probe made from the healthcheck off
#   service             type (ClusterIP, NodePort, LoadBalancer or headless) and ports of its Service
#   ingress             enabled, className, rules (host and path), tls and tlsSecretName
# persistence.<claim>: enabled (false: an emptyDir instead of the claim), size, storageClass ("" is the
#   cluster's default), accessModes.
"""


def _values_yaml(project: Project, values: dict[str, Any]) -> str:
    head = _VALUES_HEAD.format(project=project.name or "")
    if "secrets" in values:
        head += "# secrets.<Secret>: the files of each Secret, as text (inlined because of inline_secrets).\n"
    return head + "\n" + emit.dump(values)


def _notes(chart: str, index: ChartIndex, values: dict[str, Any], external: list[tuple[str, str]]) -> str:
    lines = [f"The Compose project is installed as the release {{{{ .Release.Name }}}} of the chart {chart}, "
             "in the namespace {{ .Release.Namespace }}.", ""]
    services = values["services"]
    reachable = [n for n in sorted(services) if "service" in services[n] and services[n]["service"]["ports"]]
    if reachable:
        lines.append("Services, by the names the containers use:")
        for name in reachable:
            v = f"(index .Values.services {go_string(name)})"
            svc = f'{{{{ include "{chart}.objectName" (list $ {go_string(name)}) }}}}'
            lines.append(f"  {name}: the Service {svc} ({{{{ {v}.service.type }}}}), ports "
                         f"{{{{ range $i, $p := {v}.service.ports }}}}{{{{ if $i }}}}, {{{{ end }}}}{{{{ $p.port }}}}"
                         f"/{{{{ default \"TCP\" $p.protocol }}}}{{{{ end }}}}")
            lines.append(f"    kubectl port-forward --namespace {{{{ .Release.Namespace }}}} service/{svc} "
                         f"{{{{ include \"{chart}.firstTcpPort\" {v}.service.ports }}}}"
                         if any(p.get("protocol", "TCP") == "TCP" for p in services[name]["service"]["ports"])
                         else "    (no TCP port to forward)")
        lines.append("")
    if external:
        lines.append("The pods need these objects, which the chart does not create (the conversion's diagnostics "
                     "say how to make them):")
        lines.extend(f"  {kind} {name}" for kind, name in external)
        lines.append("")
    return "\n".join(lines)


def _external_references(objects: list[dict[str, Any]], emitted: set[tuple[str, str]]) -> list[tuple[str, str]]:
    """(kind, name) of the ConfigMaps, Secrets and claims pods mount that the chart does not create."""
    refs: set[tuple[str, str]] = set()
    for obj in objects:
        pod = obj.get("spec", {}).get("template", {}).get("spec")
        if not isinstance(pod, dict):
            continue
        for v in pod.get("volumes", []):
            if "persistentVolumeClaim" in v:
                refs.add(("PersistentVolumeClaim", v["persistentVolumeClaim"]["claimName"]))
            elif "configMap" in v:
                refs.add(("ConfigMap", v["configMap"]["name"]))
            elif "secret" in v:
                refs.add(("Secret", v["secret"]["secretName"]))
    return sorted(refs - emitted)


def package(project: Project, result: ConvertResult, options: ConvertOptions) -> ConvertResult:
    """A Helm chart that renders, with its default values, the objects of the Kubernetes result."""
    diags = list(result.diagnostics)
    version, app_version = _chart_options(options, diags)
    name = chart_name(project)
    objects = [o for o in result.objects if o["kind"] != "Namespace"]
    namespaces = [o["metadata"]["name"] for o in result.objects if o["kind"] == "Namespace"]
    if namespaces:
        diags.append(diag("helm-namespace", Level.INFO, f"the chart installs into the release's namespace: "
                          f"helm install --namespace {namespaces[0]} --create-namespace", ()))
    if options.format == "json":
        diags.append(diag("helm-json-format", Level.INFO, "chart templates are YAML: format json only applies "
                          "to plain manifests", ()))
    index = ChartIndex.build(objects)
    values = build_values(index)
    if "secrets" in values:
        diags.append(diag("helm-secret-values", Level.INFO, f"the values of the Secrets "
                          f"{', '.join(values['secrets'])} are in values.yaml (inline_secrets)", ()))
    external = _external_references(objects, index.emitted)
    if external:
        diags.append(diag("helm-external-objects", Level.INFO, "the chart refers to objects it does not create: "
                          + ", ".join(f"{k} {n}" for k, n in external), ()))
    instance = label_value(project.name or "default")
    makers = ObjectTemplates(name, index, values, instance)
    files = [OutputFile("Chart.yaml", _chart_yaml(name, project, version, app_version)),
             OutputFile("values.yaml", _values_yaml(project, values)),
             OutputFile("values.schema.json", emit.dump_json(values_schema(values))),
             OutputFile(".helmignore", _HELMIGNORE),
             OutputFile("templates/_helpers.tpl", _helpers(name)),
             OutputFile("templates/NOTES.txt", _notes(name, index, values, external))]
    for obj in objects:
        if obj["kind"] == "Ingress" and obj["metadata"]["name"] in index.ingresses:
            continue  # made from the values below
        path = f"templates/{obj['metadata']['name']}-{obj['kind'].lower()}.yaml"
        files.append(OutputFile(path, makers.template(obj)))
    for wname in sorted(values["services"]):
        if "ingress" in values["services"][wname]:
            svc = index.primary_service(wname)
            labels = svc["metadata"].get("labels", {}) if svc else {}
            files.append(OutputFile(f"templates/{wname}-ingress.yaml", makers.ingress(wname, labels)))
    files.sort(key=lambda f: f.path)
    return ConvertResult(files=tuple(files), diagnostics=tuple(diags), objects=result.objects)
