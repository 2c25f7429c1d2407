"""Kubernetes objects as Helm templates: literal YAML in which what the values control is a template action."""

from __future__ import annotations

import copy
import re
from typing import Any, Callable

from .. import emit
from .helm_values import PROBES, POD_KINDS, ChartIndex

_TOKEN = re.compile(r"QqTpl(\d{5})qQ")
_BLOCK_LINE = re.compile(r"^( *)(?:[^ ].*): (QqTpl\d{5}qQ)$")
_NC_WAIT = re.compile(r"(nc -z -w \d+ )([a-z0-9](?:[-a-z0-9]*[a-z0-9])?)(\.\$\(POD_NAMESPACE\)\.svc\.\S+ )(\d+)")
_DNS_WAIT = re.compile(r"(nslookup )([a-z0-9](?:[-a-z0-9]*[a-z0-9])?)(\.\$\(POD_NAMESPACE\)\.svc\.)")

INSTANCE = "app.kubernetes.io/instance"
MANAGED_BY = "app.kubernetes.io/managed-by"
NAME = "app.kubernetes.io/name"
PART_OF = "app.kubernetes.io/part-of"
STANDARD_LABELS = (NAME, INSTANCE, PART_OF, MANAGED_BY)


def escape_actions(text: str) -> str:
    """Literal text that Helm prints as it is: `{{` would start a template action."""
    return text.replace("{{", '{{ "{{" }}')


def literal(value: dict[str, Any], indent: str) -> list[str]:
    """A mapping as literal template lines at an indentation (empty lines stay empty, for block scalars)."""
    text = escape_actions(emit.dump(value)) if value else ""
    return [indent + line if line else line for line in text.rstrip("\n").split("\n")] if text else []


def go_string(text: str) -> str:
    """A Go template string literal."""
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


class Template:
    """One template file being built: the object's YAML with tokens that stand for template actions."""

    def __init__(self, chart: str, index: ChartIndex):
        self.chart, self.index = chart, index
        self.header: list[str] = []
        self._exprs: dict[str, str] = {}
        self._blocks: dict[str, Callable[[str], list[str]]] = {}

    def _token(self) -> str:
        return f"QqTpl{len(self._exprs) + len(self._blocks):05d}qQ"

    def expr(self, action: str) -> str:
        """A token that becomes {{ action }} where it stands, inside a scalar or as the whole scalar."""
        token = self._token()
        self._exprs[token] = "{{ " + action + " }}"
        return token

    def block(self, lines: Callable[[str], list[str]]) -> str:
        """A token for the value of a mapping key: the key's line is replaced by lines(indent of the key)."""
        token = self._token()
        self._blocks[token] = lines
        return token

    def variable(self, name: str, action: str) -> str:
        self.header.append("{{- $" + name + " := " + action + " }}")
        return "$" + name

    # -- the usual pieces

    def name(self, kind: str, name: str, whole: bool = True) -> str:
        """An object's name, with the release prefix when the chart creates it and names are prefixed."""
        if (kind, name) not in self.index.emitted:
            return name
        action = f'include "{self.chart}.objectName" (list $ {go_string(name)})'
        return self.expr(action + (" | quote" if whole else ""))

    def label_args(self, labels: dict[str, str]) -> str:
        args = ["(dict", '"root"', "$"]
        if NAME in labels:
            args += ['"name"', go_string(labels[NAME])]
        if PART_OF in labels:
            args += ['"partOf"', go_string(labels[PART_OF])]
        return " ".join(args) + ")"

    def labels_block(self, key: str, labels: dict[str, str]) -> str:
        rest = {k: v for k, v in labels.items() if k not in STANDARD_LABELS and k != "helm.sh/chart"}
        args = self.label_args(labels)

        def lines(ind: str) -> list[str]:
            head = [f"{ind}{key}:",
                    f'{ind}  {{{{- include "{self.chart}.labels" {args} | nindent {len(ind) + 2} }}}}']
            return head + literal(rest, ind + "  ")
        return self.block(lines)

    def selector_block(self, key: str, labels: dict[str, str]) -> str:
        args = self.label_args(labels)
        return self.block(lambda ind: [
            f"{ind}{key}:",
            f'{ind}  {{{{- include "{self.chart}.selectorLabels" {args} | nindent {len(ind) + 2} }}}}'])

    def with_yaml(self, key: str, action: str) -> str:
        """key: <the value of action as YAML>, left out when that value is empty."""
        return self.block(lambda ind: [
            f"{ind}{{{{- with {action} }}}}",
            f"{ind}{key}:",
            f"{ind}  {{{{- toYaml . | nindent {len(ind) + 2} }}}}",
            f"{ind}{{{{- end }}}}"])

    def when(self, condition: str, key: str, value: Any, otherwise: dict[str, Any] | None = None) -> str:
        """key: value (literal) when the condition holds, else the otherwise mapping (if any)."""
        def lines(ind: str) -> list[str]:
            out = [f"{ind}{{{{- if {condition} }}}}"] + literal({key: value}, ind)
            if otherwise:
                out += [f"{ind}{{{{- else }}}}"] + literal(otherwise, ind)
            return out + [f"{ind}{{{{- end }}}}"]
        return self.block(lines)

    def render(self, obj: dict[str, Any], condition: str | None = None) -> str:
        text = escape_actions(emit.dump(obj))
        out: list[str] = []
        for line in text.rstrip("\n").split("\n"):
            m = _BLOCK_LINE.match(line)
            if m and m.group(2) in self._blocks:
                if line.lstrip().startswith("- "):
                    raise ValueError(f"a template block cannot start a list item: {line!r}")
                lines = self._blocks[m.group(2)](m.group(1))
                out.extend(_TOKEN.sub(lambda t: self._exprs[t.group(0)], ln) for ln in lines)
                continue
            out.append(_TOKEN.sub(lambda t: self._exprs[t.group(0)], line))
        body = "\n".join(out) + "\n"
        head = "".join(h + "\n" for h in self.header)
        if condition:
            return f"{head}{{{{- if {condition} }}}}\n{body}{{{{- end }}}}\n"
        return head + body


def _insert(d: dict[str, Any], key: str, value: Any, after: tuple[str, ...]) -> dict[str, Any]:
    """d with key set to value: in place when present, else right after the last of `after` present."""
    if key in d:
        return {k: (value if k == key else v) for k, v in d.items()}
    anchor = next((a for a in reversed(after) if a in d), None)
    out: dict[str, Any] = {}
    if anchor is None:
        out[key] = value
    for k, v in d.items():
        out[k] = v
        if k == anchor:
            out[key] = value
    return out


class ObjectTemplates:
    """Makes the template of each object of a conversion."""

    def __init__(self, chart: str, index: ChartIndex, values: dict[str, Any], instance: str):
        self.chart, self.index, self.values, self.instance = chart, index, values, instance

    def new(self) -> Template:
        return Template(self.chart, self.index)

    def template(self, obj: dict[str, Any]) -> str:
        t = self.new()
        obj = copy.deepcopy(obj)
        kind = obj["kind"]
        condition = None
        self._labels(t, obj)
        if kind in POD_KINDS:
            self._workload(t, obj)
        elif kind == "Service":
            self._service(t, obj)
        elif kind == "PersistentVolumeClaim" and obj["metadata"]["name"] in self.index.claims:
            condition = self._claim(t, obj)
        elif kind == "Secret" and obj["metadata"]["name"] in self.index.secrets:
            self._secret(t, obj)
        elif kind == "ConfigMap" and obj["metadata"]["name"] in self.index.env_configmaps:
            self._env_configmap(t, obj)
        elif kind == "RoleBinding":
            obj["roleRef"]["name"] = t.name(obj["roleRef"]["kind"], obj["roleRef"]["name"])
            for s in obj.get("subjects", []):
                s["name"] = t.name(s["kind"], s["name"])
        elif kind == "HorizontalPodAutoscaler":
            ref = obj["spec"]["scaleTargetRef"]
            ref["name"] = t.name(ref["kind"], ref["name"])
        elif kind == "Ingress":
            for rule in obj["spec"].get("rules", []):
                for path in rule.get("http", {}).get("paths", []):
                    svc = path["backend"].get("service")
                    if svc:
                        svc["name"] = t.name("Service", svc["name"])
        meta = obj["metadata"]
        meta["name"] = t.name(kind, meta["name"])
        if "namespace" in meta:
            meta["namespace"] = t.expr("$.Release.Namespace | quote")
        return t.render(obj, condition)

    # -- labels and selectors, wherever they are

    def _is_standard(self, labels: dict[str, str]) -> bool:
        return labels.get(INSTANCE) == self.instance and labels.get(MANAGED_BY) == "composeconv"

    def _is_selector(self, labels: Any) -> bool:
        return (isinstance(labels, dict) and labels.get(INSTANCE) == self.instance
                and set(labels) in ({INSTANCE}, {INSTANCE, NAME}))

    def _labels(self, t: Template, obj: dict[str, Any]) -> None:
        def fix_labels(meta: dict[str, Any]) -> None:
            labels = meta.get("labels")
            if not labels:
                return
            if self._is_standard(labels):
                meta["labels"] = t.labels_block("labels", labels)
            elif INSTANCE in labels and labels[INSTANCE] == self.instance:
                labels[INSTANCE] = t.expr("$.Release.Name | quote")

        def walk(node: Any) -> None:
            if isinstance(node, dict):
                for key, value in list(node.items()):
                    if key == "metadata" and isinstance(value, dict):
                        fix_labels(value)
                        walk({k: v for k, v in value.items() if k != "labels"})
                    elif self._is_selector(value):
                        node[key] = t.selector_block(key, value)
                    else:
                        walk(value)
            elif isinstance(node, list):
                for item in node:
                    walk(item)
        walk(obj)

    # -- workloads

    def _workload(self, t: Template, obj: dict[str, Any]) -> None:
        wname = obj["metadata"]["name"]
        spec = obj["spec"]
        services = self.values["services"]
        pod = spec["template"]["spec"]
        names = [c["name"] for c in pod["containers"]]
        var = {n: t.variable(f"c{i}", f"index .Values.services {go_string(n)}")
               for i, n in enumerate(names) if n in services}
        primary = var.get(wname)
        if primary and "replicas" in services[wname]:
            spec["replicas"] = t.expr(f"int {primary}.replicas")
        if obj["kind"] == "StatefulSet" and "serviceName" in spec:
            spec["serviceName"] = t.name("Service", spec["serviceName"])
        if "serviceAccountName" in pod:
            pod["serviceAccountName"] = t.name("ServiceAccount", pod["serviceAccountName"])
        if "subdomain" in pod:
            pod["subdomain"] = t.name("Service", pod["subdomain"])
        if "volumes" in pod:
            pod["volumes"] = [self._volume(t, v) for v in pod["volumes"]]
        for c in pod.get("initContainers", []):
            c["command"] = [self._wait_arg(t, a) for a in c.get("command", [])]
        pod["containers"] = [self._container(t, c, var.get(c["name"]), services.get(c["name"]))
                             for c in pod["containers"]]

    def _volume(self, t: Template, volume: dict[str, Any]) -> dict[str, Any]:
        if "persistentVolumeClaim" in volume:
            claim = volume["persistentVolumeClaim"]["claimName"]
            if claim in self.index.claims:
                cond = f"(index $.Values.persistence {go_string(claim)}).enabled"
                source = dict(volume["persistentVolumeClaim"], claimName=t.name("PersistentVolumeClaim", claim))
                block = t.when(cond, "persistentVolumeClaim", source, {"emptyDir": {}})
                return {k: (block if k == "persistentVolumeClaim" else v) for k, v in volume.items()}
            volume["persistentVolumeClaim"]["claimName"] = t.name("PersistentVolumeClaim", claim)
        elif "configMap" in volume:
            volume["configMap"]["name"] = t.name("ConfigMap", volume["configMap"]["name"])
        elif "secret" in volume:
            volume["secret"]["secretName"] = t.name("Secret", volume["secret"]["secretName"])
        return volume

    def _wait_arg(self, t: Template, arg: str) -> str:
        services = self.values["services"]

        def nc(m: re.Match[str]) -> str:
            svc = m.group(2)
            owner = self.index.service_owner.get(svc)
            port = m.group(4)
            if owner == svc and "service" in services.get(svc, {}):
                ports = f"(index $.Values.services {go_string(svc)}).service.ports"
                port = t.expr(f'include "{self.chart}.firstTcpPort" {ports}')
            return m.group(1) + t.name("Service", svc, whole=False) + m.group(3) + port

        arg = _NC_WAIT.sub(nc, arg)
        arg = _DNS_WAIT.sub(lambda m: m.group(1) + t.name("Service", m.group(2), whole=False) + m.group(3), arg)
        if arg.startswith("job/"):
            arg = "job/" + t.name("Job", arg[4:], whole=False)
        return arg

    def _container(self, t: Template, c: dict[str, Any], var: str | None,
                   values: dict[str, Any] | None) -> dict[str, Any]:
        for ref in c.get("envFrom", []):
            if "configMapRef" in ref:
                ref["configMapRef"]["name"] = t.name("ConfigMap", ref["configMapRef"]["name"])
            if "secretRef" in ref:
                ref["secretRef"]["name"] = t.name("Secret", ref["secretRef"]["name"])
        if var is None or values is None:
            return c
        c["image"] = t.expr(f'include "{self.chart}.image" {var}.image | quote')
        c = _insert(c, "imagePullPolicy", t.block(lambda ind: [
            f"{ind}{{{{- with {var}.image.pullPolicy }}}}", f"{ind}imagePullPolicy: {{{{ . | quote }}}}",
            f"{ind}{{{{- end }}}}"]), ("image",))
        if "env" in values and "envFrom" not in c:
            c = _insert(c, "env", t.block(lambda ind: [
                f"{ind}{{{{- with {var}.env }}}}",
                f"{ind}env:",
                f"{ind}  {{{{- range $name, $value := . }}}}",
                f"{ind}  - name: {{{{ $name | quote }}}}",
                f"{ind}    value: {{{{ $value | quote }}}}",
                f"{ind}  {{{{- end }}}}",
                f"{ind}{{{{- end }}}}"]), ("image", "imagePullPolicy", "command", "args", "workingDir"))
        c = _insert(c, "resources", t.with_yaml("resources", f"{var}.resources"),
                    ("image", "imagePullPolicy", "command", "args", "workingDir", "envFrom", "env", "ports"))
        for key, short in PROBES:
            if key in c:
                c[key] = t.when(f"{var}.probes.{short}", key, c[key])
        return c

    # -- other kinds

    def _service(self, t: Template, obj: dict[str, Any]) -> None:
        name = obj["metadata"]["name"]
        owner = self.index.service_owner.get(name)
        if owner is None or "service" not in self.values["services"].get(owner, {}):
            return
        svc = t.variable("svc", f"(index .Values.services {go_string(owner)}).service")
        spec = obj["spec"]
        primary = owner == name
        kind_key = "clusterIP" if "clusterIP" in spec else "type"
        other = f"type: {{{{ {svc}.type | quote }}}}" if primary else "type: ClusterIP"
        kind_lines = t.block(lambda ind: [
            f'{ind}{{{{- if eq {svc}.type "headless" }}}}', f"{ind}clusterIP: None", f"{ind}{{{{- else }}}}",
            f"{ind}{other}", f"{ind}{{{{- end }}}}"])
        new: dict[str, Any] = {}
        for key, value in spec.items():
            if key == kind_key:
                new[key] = kind_lines
            elif key in ("type", "clusterIP", "ports"):
                continue
            else:
                new[key] = value
        if primary:
            new["ports"] = t.with_yaml("ports", f"{svc}.ports")
        else:
            new["ports"] = t.block(lambda ind: [
                f"{ind}{{{{- with {svc}.ports }}}}", f"{ind}ports:", f"{ind}  {{{{- range . }}}}",
                f'{ind}  - {{{{- toYaml (omit . "nodePort") | nindent {len(ind) + 4} }}}}',
                f"{ind}  {{{{- end }}}}", f"{ind}{{{{- end }}}}"])
        obj["spec"] = new

    def _claim(self, t: Template, obj: dict[str, Any]) -> str:
        claim = obj["metadata"]["name"]
        p = t.variable("claim", f"index .Values.persistence {go_string(claim)}")
        spec = obj["spec"]
        new: dict[str, Any] = {"accessModes": t.with_yaml("accessModes", f"{p}.accessModes"),
                               "storageClassName": t.block(lambda ind: [
                                   f"{ind}{{{{- with {p}.storageClass }}}}",
                                   f"{ind}storageClassName: {{{{ . | quote }}}}", f"{ind}{{{{- end }}}}"])}
        resources = copy.deepcopy(spec["resources"])
        resources["requests"]["storage"] = t.expr(f"{p}.size | quote")
        new["resources"] = resources
        new.update({k: v for k, v in spec.items() if k not in ("accessModes", "storageClassName", "resources")})
        obj["spec"] = new
        return f"{p}.enabled"

    def _secret(self, t: Template, obj: dict[str, Any]) -> None:
        s = t.variable("secret", f"index .Values.secrets {go_string(obj['metadata']['name'])}")
        obj["data"] = t.block(lambda ind: [
            f"{ind}{{{{- with {s} }}}}", f"{ind}data:", f"{ind}  {{{{- range $key, $value := . }}}}",
            f"{ind}  {{{{ $key | quote }}}}: {{{{ $value | b64enc | quote }}}}", f"{ind}  {{{{- end }}}}",
            f"{ind}{{{{- end }}}}"])

    def _env_configmap(self, t: Template, obj: dict[str, Any]) -> None:
        container = self.index.env_configmaps[obj["metadata"]["name"]]
        c = t.variable("c", f"index .Values.services {go_string(container)}")
        obj["data"] = t.block(lambda ind: [
            f"{ind}{{{{- with {c}.env }}}}", f"{ind}data:", f"{ind}  {{{{- range $key, $value := . }}}}",
            f"{ind}  {{{{ $key | quote }}}}: {{{{ $value | quote }}}}", f"{ind}  {{{{- end }}}}",
            f"{ind}{{{{- end }}}}"])

    # -- the Ingress of a service, made from its values

    def ingress(self, workload: str, labels: dict[str, str]) -> str:
        t = self.new()
        v = t.variable("ingress", f"(index .Values.services {go_string(workload)}).ingress")
        ports = f"(index $.Values.services {go_string(workload)}).service.ports"
        # named like its Service; the Ingress is made only when the values enable it
        own_name = f'{{{{ include "{self.chart}.objectName" (list $ {go_string(workload)}) | quote }}}}'
        lines = [f"{{{{- if {v}.enabled }}}}",
                 "apiVersion: networking.k8s.io/v1",
                 "kind: Ingress",
                 "metadata:",
                 f"  name: {own_name}"]
        if labels:
            lines.append("  labels:")
            lines.append(f'    {{{{- include "{self.chart}.labels" {t.label_args(labels)} | nindent 4 }}}}')
        lines += [
            "spec:",
            f"  {{{{- with {v}.className }}}}",
            "  ingressClassName: {{ . | quote }}",
            "  {{- end }}",
            f"  {{{{- if {v}.tls }}}}",
            "  {{- $hosts := list }}",
            f"  {{{{- range {v}.rules }}}}"
            "{{ if .host }}{{ $hosts = append $hosts .host }}{{ end }}{{ end }}",
            "  tls:",
            f"    {{{{- if or $hosts {v}.tlsSecretName }}}}",
            "    - {{- with $hosts }}",
            "      hosts:",
            "        {{- toYaml (uniq (sortAlpha .)) | nindent 8 }}",
            "      {{- end }}",
            f"      {{{{- with {v}.tlsSecretName }}}}",
            "      secretName: {{ . | quote }}",
            "      {{- end }}",
            "    {{- else }}",
            "    - {}",
            "    {{- end }}",
            "  {{- end }}",
            "  rules:",
            f"    {{{{- range {v}.rules }}}}",
            "    - {{- with .host }}",
            "      host: {{ . | quote }}",
            "      {{- end }}",
            "      http:",
            "        paths:",
            "          - path: {{ .path | quote }}",
            "            pathType: Prefix",
            "            backend:",
            "              service:",
            f"                name: {own_name}",
            "                port:",
            f'                  number: {{{{ include "{self.chart}.firstTcpPort" {ports} }}}}',
            "    {{- end }}",
            "{{- end }}"]
        return "".join(h + "\n" for h in t.header) + "\n".join(lines) + "\n"
