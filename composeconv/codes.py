"""Every diagnostic code composeconv reports, with what it means; docs/diagnostics.md is generated from here.

Run `python -m composeconv.codes > docs/diagnostics.md` after adding a code; a test checks the file.
"""

from __future__ import annotations

import importlib

# Codes of the loader, the model and the command line (backends keep their own tables).
LOAD_CODES: dict[str, str] = {
    "yaml-syntax": "the file is not valid YAML",
    "yaml-encoding": "the file is not UTF-8 text, or holds NUL or control characters",
    "yaml-duplicate-key": "a mapping has the same key twice",
    "yaml-non-string-key": "a mapping key is not a string where Compose needs one",
    "yaml-key": "a mapping key has a type YAML does not allow as a key",
    "yaml-tag": "a YAML tag is used where Compose rejects it",
    "yaml-unknown-tag": "an unknown YAML tag was ignored, as Compose ignores it (warning)",
    "yaml-merge": "a `<<` merge key does not merge a mapping",
    "yaml-alias": "an alias names an unknown anchor, or aliases form a cycle",
    "yaml-alias-bomb": "aliases expand to more nodes than the limit (a \"billion laughs\" file)",
    "yaml-too-deep": "the document nests deeper than the limit",
    "yaml-too-large": "the file is larger than the limit",
    "too-many-services": "the project has more services than the limit",
    "empty-file": "the Compose file holds no document",
    "no-config-file": "no Compose file was given or found",
    "file-not-found": "a Compose, extends, include, env or label file does not exist",
    "remote-unsupported": "a remote include or extends (git, OCI); composeconv never reaches the network",
    "obsolete-version": "the top-level `version` is obsolete and ignored (warning)",
    "interpolation-syntax": "a ${...} expression is malformed",
    "interpolation-required": "a ${VAR:?message} or ${VAR?message} variable is missing",
    "interpolation-unset": "a variable is not set and defaults to an empty string (warning)",
    "interpolation-cast": "an interpolated value does not convert to the type its key needs",
    "interpolation-too-deep": "nested ${...} defaults go deeper than the limit",
    "interpolation-yaml11-bool": "an interpolated yes/no/on/off is read as a boolean as Compose reads it (warning)",
    "env-file-missing": "a required env_file does not exist",
    "env-file-syntax": "a line of an env file cannot be parsed",
    "env-file-format": "an env_file has an unknown format",
    "env-file-unreadable": "an env file cannot be read (a name too long, a loop of links, not UTF-8)",
    "label-file-missing": "a label_file does not exist",
    "label-file-unreadable": "a label file cannot be read (a name too long, a loop of links, not UTF-8)",
    "schema-additional-property": "a key Compose does not know; the hint names the nearest known key",
    "schema-type": "a value has the wrong type",
    "schema-enum": "a value is not one of the allowed ones",
    "schema-required": "a required key is missing",
    "schema-pattern": "a value or name does not match its required pattern",
    "schema-minimum": "a number is below its minimum",
    "schema-maximum": "a number is above its maximum",
    "schema-unique": "a list that must hold unique items repeats one",
    "schema-key-type": "a key has the wrong type for the schema",
    "schema-one-of": "a value matches none of the forms its key accepts",
    "invalid-type": "a value has a type Compose cannot decode",
    "invalid-value": "a value cannot be decoded (a size, a duration, a count...)",
    "invalid-syntax": "a short-syntax value (port, volume, device...) is malformed",
    "invalid-mount": "a volume mount is malformed",
    "invalid-volume": "a volume definition is invalid",
    "invalid-path": "a path cannot be resolved",
    "invalid-ip": "a port's host IP is not an IP address",
    "invalid-environment": "an environment entry is malformed",
    "invalid-reference": "a reference to another service is of the wrong kind",
    "invalid-project-name": "the project name has characters Compose does not allow",
    "empty-project-name": "no project name could be determined",
    "missing-attribute": "a key that another key requires is missing",
    "exclusive-attributes": "two keys that exclude each other are both set",
    "external-conflict": "an external network or volume also sets keys that only a created one can have",
    "blank-path": "a develop.watch path is empty",
    "merge": "two files cannot be merged at a key",
    "extends-cycle": "services extend each other in a cycle",
    "extends-invalid": "an extends entry is malformed",
    "extends-unknown": "extends names a service that does not exist",
    "include-cycle": "Compose files include each other in a cycle",
    "include-invalid": "an include entry is malformed",
    "include-conflict": "an included file defines a resource the including file defines differently",
    "service-no-image": "a service has neither image nor build",
    "build-dockerfile-conflict": "build sets both dockerfile and dockerfile_inline",
    "build-platform": "build.platforms does not include the service's platform",
    "network-mode-conflict": "network_mode and networks are both set",
    "healthcheck-test": "healthcheck.test does not start with CMD, CMD-SHELL or NONE",
    "undefined-service": "a reference names a service that does not exist",
    "undefined-network": "a service uses a network that is not defined",
    "undefined-volume": "a service uses a named volume that is not defined",
    "undefined-secret": "a service uses a secret that is not defined",
    "undefined-config": "a service uses a config that is not defined",
    "undefined-model": "a service uses a model that is not defined",
    "no-such-service": "a selected service does not exist",
    "scale-conflict": "scale and deploy.replicas differ",
    "resource-conflict": "a legacy resource key and deploy.resources differ",
    "container-name-scale": "container_name is set on a service with more than one replica",
    "duplicate-container-name": "two services use the same container_name",
    "duplicate-mount": "two mounts of a service use the same target",
    "secret-source": "a secret has neither file nor environment",
    "dependency-cycle": "depends_on forms a cycle",
    "unknown-target": "the conversion target does not exist",
    "unknown-layout": "the packaging layout does not exist or does not fit the target",
    "output-path": "an output file name would leave the output folder, or a link would be followed out of it",
    "foreign-file": "the output folder holds a file composeconv did not write where it would write one",
    "manifest-invalid": "the output folder's .composeconv-manifest.json cannot be read",
    "config-file": "composeconv.toml or [tool.composeconv] is invalid",
}

# Modules that keep a DIAGNOSTIC_CODES table of their own, in the order the docs list them.
TABLES = (
    ("Kubernetes", "composeconv.backends.kubernetes"),
    ("Helm chart", "composeconv.packaging.helm"),
    ("Kustomize base", "composeconv.packaging.kustomize"),
    ("Swarm", "composeconv.backends.swarm"),
    ("docker-run", "composeconv.backends.dockerrun"),
)


def all_codes() -> dict[str, dict[str, str]]:
    """Section title -> (code -> description), for the loader and every backend."""
    out = {"Loading": LOAD_CODES}
    for title, module in TABLES:
        out[title] = dict(importlib.import_module(module).DIAGNOSTIC_CODES)
    return out


def markdown() -> str:
    lines = ["# Diagnostic codes", "",
             "Every diagnostic has a stable code, a level (error, warning, info), a message, the file,",
             "line and column, and the key path. Codes do not change between releases; new ones are added.",
             "`--diagnostics json` and `--diagnostics sarif` print them for tools (see ci.md).", ""]
    for title, codes in all_codes().items():
        lines += [f"## {title}", "", "| code | meaning |", "|---|---|"]
        lines += [f"| `{c}` | {d.replace('|', '/')} |" for c, d in sorted(codes.items())]
        lines.append("")
    return "\n".join(lines)


if __name__ == "__main__":
    print(markdown(), end="")
