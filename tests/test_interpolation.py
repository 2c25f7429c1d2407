"""Interpolation and the casts after it; expected values are what Compose v2.40.3 printed."""

from __future__ import annotations

import json
import os
import subprocess
import tempfile
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from composeconv.diagnostics import ComposeError, Diagnostic
from composeconv.interpolation import (CAST_PATHS, InterpolationError, InvalidTemplateError, MissingRequiredError,
                                       cast_for_path, interpolate_tree, substitute)
from composeconv.yamlsource import parse_yaml

from support import compose_binary, need

E = "error"  # marks an expected error: ("error", message)
REQ = "required variable A is missing a value"

# template -> what Compose made of it with A=va, with A set to "", and with A unset.
# A result is the value, or (E, message), or (value, [unset variables Compose warned about]).
TEMPLATES: dict[str, tuple[object, object, object]] = {
    "$A": ("va", "", ("", ["A"])),
    "${A}": ("va", "", ("", ["A"])),
    "${A:-d}": ("va", "d", "d"),
    "${A-d}": ("va", "", "d"),
    "$$A": ("$A", "$A", "$A"),
    "$1": ("$1", "$1", "$1"),
    "$-": ("$-", "$-", "$-"),
    "$": ("$", "$", "$"),
    "a$": ("a$", "a$", "a$"),
    "${A:?}": ("va", (E, REQ), (E, REQ)),
    "${A?}": ("va", "", (E, REQ)),
    "${A:?msg here}": ("va", (E, REQ + ": msg here"), (E, REQ + ": msg here")),
    "${A?msg}": ("va", "", (E, REQ + ": msg")),
    "${A:+alt}": ("alt", "", ""),
    "${A+alt}": ("alt", "alt", ""),
    "x${A:-${B:-c}}y": ("xvay", "xcy", "xcy"),
    "${A:-x} ${B:-y}": ("va y", "x y", "x y"),
    "${A:-x} ${B}": (("va ", ["B"]), ("x ", ["B"]), ("x ", ["B"])),
    "${A:-}}": ("va}", "}", "}"),
    "${A:-{}}": ("va", "{}", "{}"),
    "${A:-x{}": ("va", "x{", "x{"),
    "${A:-x}}}": ("va}}", "x}}", "x}}"),
    "${A:-a}${B:-b}": ("vab", "ab", "ab"),
    "${A:-${B}x}": (("va", ["B"]), ("x", ["B"]), ("x", ["B"])),  # defaults are expanded even when unused
    "${A:-$$}": ("va", "$", "$"),
    "${A-x:-y}": ("va", "", "x:-y"),
    "${A?x:-y}": ("va", "", (E, REQ + ": x:-y")),
    "${A:-x:-y}": ("va", "x:-y", "x:-y"),
    "${A:?${B:-bb}}": ("va", (E, REQ + ": bb"), (E, REQ + ": bb")),
    "${A:-${B:?nob}}": ((E, "required variable B is missing a value: nob"),) * 3,
    "${A:-${A:-${A:-deep}}}": ("va", "deep", "deep"),
    "$A$B": (("va", ["B"]), ("", ["B"]), ("", ["A", "B"])),
    "$A:-x": ("va:-x", ":-x", (":-x", ["A"])),
    "${_}": (("", ["_"]),) * 3,
    "${_A1}": (("", ["_A1"]),) * 3,
}
# Compose: "invalid interpolation format for x-t.\nYou may need to escape any $ with another $.\n<template>"
INVALID = {"${": "${", "${A": "${A", "${ A}": "${ A}", "${A:}": "${A:}", "${a.b}": "${a.b}", "${1A}": "${1A}",
           "${A:-${}}": "${}", "${A:-${B}": "${B"}

ENVS = ({"A": "va"}, {"A": ""}, {})


def _run(template: str, env: dict[str, str]) -> object:
    unset: list[str] = []
    try:
        value = substitute(template, env.get, on_unset=unset.append)
    except MissingRequiredError as err:
        return (E, str(err))
    return (value, unset) if unset else value


@pytest.mark.parametrize("template", sorted(TEMPLATES))
def test_substitute(template: str) -> None:
    for env, expected in zip(ENVS, TEMPLATES[template]):
        assert _run(template, env) == expected, (template, env)


@pytest.mark.parametrize("template", sorted(INVALID))
def test_invalid_templates(template: str) -> None:
    for env in ENVS:
        with pytest.raises(InvalidTemplateError) as info:
            substitute(template, env.get)
        assert info.value.template == INVALID[template]


def test_messages_in_a_tree() -> None:
    data = {"services": {"web": {"image": "${", "command": ["a", "${X:?nope}"], "labels": {"a.b": "${X:?m}"}}},
            "x-a": {"b": [{"c": ["${X:?m}"]}]}, "x-k": {"${A}": "$$"}}
    with pytest.raises(ComposeError) as info:
        interpolate_tree(data, {"A": "va"}.get)
    messages = sorted(d.message for d in info.value.diagnostics)
    assert messages == sorted([
        "invalid interpolation format for services.web.image.\nYou may need to escape any $ with another $.\n${",
        "error while interpolating services.web.command.[]: required variable X is missing a value: nope",
        "error while interpolating services.web.labels.a.b: required variable X is missing a value: m",
        "error while interpolating x-a.b.[].c.[]: required variable X is missing a value: m"])
    paths = {d.path for d in info.value.diagnostics}
    assert ("services", "web", "command", 1) in paths and ("x-a", "b", 0, "c", 0) in paths


def test_keys_are_not_interpolated_and_input_is_untouched() -> None:
    data = {"x-k": {"${A}": "${A}"}, "services": {"web": {"labels": {"${A}": "v"}}}}
    out = interpolate_tree(data, {"A": "va"}.get)
    assert out == {"x-k": {"${A}": "va"}, "services": {"web": {"labels": {"${A}": "v"}}}}
    assert data["x-k"]["${A}"] == "${A}"


def test_positions_come_from_the_source_map() -> None:
    doc = parse_yaml("services:\n  web:\n    image: ${X:?need}\n", "c.yaml")
    with pytest.raises(ComposeError) as info:
        interpolate_tree(doc.data, {}.get, doc.sourcemap)
    d = info.value.diagnostics[0]
    assert (d.code, d.path, d.position.line, d.position.column) == ("interpolation-required",
                                                                    ("services", "web", "image"), 3, 5)


# A service written with strings; Compose printed the typed values after casting.
CAST_SOURCE = """
services:
  web:
    image: x
    read_only: "yes"
    privileged: "On"
    tty: "n"
    init: "TRUE"
    cpus: "0.1"
    cpu_count: "7"
    cpu_percent: "50"
    oom_score_adj: "-500"
    pids_limit: "100"
    scale: "3"
    ports:
      - target: "80"
        published: "8080"
    healthcheck:
      retries: "3"
    ulimits:
      nproc: "65535"
      nofile: {soft: "1000", hard: "2000"}
    deploy:
      replicas: "3"
      update_config: {parallelism: "2", max_failure_ratio: "0.3"}
    volumes:
      - {type: volume, source: v, target: /data, read_only: "false", volume: {nocopy: "yes"}}
    depends_on:
      db: {condition: service_started, required: "false"}
volumes:
  v: {external: "false"}
networks:
  n: {internal: "yes", attachable: "true", enable_ipv6: "no"}
"""


def test_casts() -> None:
    warnings: list[Diagnostic] = []
    out = interpolate_tree(parse_yaml(CAST_SOURCE, "c.yaml").data, {}.get, warnings=warnings)
    web = out["services"]["web"]
    assert (web["read_only"], web["privileged"], web["tty"], web["init"]) == (True, True, False, True)
    assert (web["cpus"], web["cpu_count"], web["cpu_percent"], web["oom_score_adj"]) == (0.1, 7, 50.0, -500)
    assert (web["pids_limit"], web["scale"], web["healthcheck"]["retries"]) == (100, 3, 3)
    assert web["ports"] == [{"target": 80, "published": "8080"}]  # only target is cast
    assert web["ulimits"] == {"nproc": 65535, "nofile": {"soft": 1000, "hard": 2000}}
    assert web["deploy"] == {"replicas": 3, "update_config": {"parallelism": 2, "max_failure_ratio": 0.3}}
    assert web["volumes"][0]["read_only"] is False and web["volumes"][0]["volume"]["nocopy"] is True
    assert web["depends_on"]["db"]["required"] == "false"  # not cast by this Compose version
    assert out["volumes"]["v"]["external"] is False
    assert out["networks"]["n"] == {"internal": True, "attachable": True, "enable_ipv6": False}
    assert sorted(w.message for w in warnings) == sorted([
        '"yes" for boolean is not supported by YAML 1.2, please use `true`',
        '"yes" for boolean is not supported by YAML 1.2, please use `true`',
        '"n" for boolean is not supported by YAML 1.2, please use `false`',
        '"On" for boolean is not supported by YAML 1.2, please use `true`',
        '"yes" for boolean is not supported by YAML 1.2, please use `true`',
        '"no" for boolean is not supported by YAML 1.2, please use `false`'])


@pytest.mark.parametrize("path,value,expected", [
    (("deploy", "replicas"), "abc", 'strconv.Atoi: parsing "abc": invalid syntax'),
    (("deploy", "replicas"), "99999999999999999999", 'strconv.Atoi: parsing "99999999999999999999": value out of range'),
    (("deploy", "replicas"), " 3", 'strconv.Atoi: parsing " 3": invalid syntax'),
    (("deploy", "replicas"), "3_0", 'strconv.Atoi: parsing "3_0": invalid syntax'),
    (("deploy", "replicas"), "+3", 3),
    (("ports", 0, "target"), "", 'strconv.Atoi: parsing "": invalid syntax'),
    (("cpus",), "1e400", 'strconv.ParseFloat: parsing "1e400": value out of range'),
    (("cpus",), "1e39", 'strconv.ParseFloat: parsing "1e39": value out of range'),
    (("cpus",), "1_0.5", 10.5),
    (("cpus",), "0x1p-2", 0.25),
    (("cpus",), "inf", float("inf")),
    (("read_only",), "maybe", "invalid boolean: maybe"),
])
def test_cast_results_and_errors(path: tuple, value: str, expected: object) -> None:
    def build(parts: tuple) -> object:
        if not parts:
            return value
        return [build(parts[1:])] if isinstance(parts[0], int) else {parts[0]: build(parts[1:])}

    data = {"services": {"web": build(path)}}
    if isinstance(expected, str):
        with pytest.raises(ComposeError) as info:
            interpolate_tree(data, {}.get)
        where = ".".join("[]" if isinstance(p, int) else p for p in ("services", "web") + path)
        assert info.value.diagnostics[0].message == (
            f"error while interpolating {where}: failed to cast to expected type: {expected}")
    else:
        out = interpolate_tree(data, {}.get)["services"]["web"]
        for part in path:
            out = out[part]
        assert out == expected


def test_cast_table() -> None:
    assert len(CAST_PATHS) == 40
    assert cast_for_path(("services", "x", "ports", 3, "target")) == "int"
    assert cast_for_path(("services", "x", "ports", 3, "published")) is None
    assert cast_for_path(("services", "x", "ulimits", "nofile")) == "int"
    assert cast_for_path(("services", "x", "cpus")) == "float32"
    assert cast_for_path(("networks", "n", "external")) == "bool"
    assert cast_for_path(("services", "x", "depends_on", "db", "required")) is None


@settings(max_examples=300, deadline=None)
@given(st.text(max_size=40))
def test_escaped_dollars_round_trip(text: str) -> None:
    assert substitute(text.replace("$", "$$"), {}.get) == text


@settings(max_examples=300, deadline=None)
@given(st.text(max_size=40), st.dictionaries(st.from_regex(r"[A-Z_][A-Z0-9_]{0,4}", fullmatch=True),
                                             st.text(max_size=5), max_size=4))
def test_substitute_never_fails_unexpectedly(text: str, env: dict[str, str]) -> None:
    try:
        substitute(text, env.get)
    except InterpolationError:
        pass


def _compose(source: str, env: dict[str, str]) -> tuple[dict | None, str]:
    binary = compose_binary()
    with tempfile.TemporaryDirectory() as tmp:
        Path(tmp, "f.yaml").write_text(source)
        full = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "HOME": tmp, "COMPOSE_PROJECT_NAME": "p", **env}
        proc = subprocess.run([binary, "-f", "f.yaml", "config", "--format", "json"], cwd=tmp, env=full,
                              capture_output=True, text=True, timeout=30)
    return (json.loads(proc.stdout) if proc.returncode == 0 else None), proc.stderr


@pytest.mark.oracle
@pytest.mark.parametrize("env", ENVS, ids=["set", "empty", "unset"])
def test_templates_against_compose(env: dict[str, str]) -> None:
    need(compose_binary(), "docker-compose binary not available")
    index = ENVS.index(env)
    ok = [t for t in sorted(TEMPLATES) if not (isinstance(TEMPLATES[t][index], tuple)
                                                and TEMPLATES[t][index][0] == E)]
    source = "services:\n  web:\n    image: x\nx-t:\n" + "".join(f"  - {json.dumps(t)}\n" for t in ok)
    printed, err = _compose(source, env)
    assert printed is not None, err
    for template, shown in zip(ok, printed["x-t"]):
        expected = TEMPLATES[template][index]
        value = expected[0] if isinstance(expected, tuple) else expected
        assert shown.replace("$$", "$") == value == substitute(template, env.get), template  # output doubles "$"


@pytest.mark.oracle
@pytest.mark.parametrize("template", ["${A:?msg here}", "${A:-${B:?nob}}", "${A:-${B}", "${ A}"])
def test_errors_against_compose(template: str) -> None:
    need(compose_binary(), "docker-compose binary not available")
    source = f"services:\n  web:\n    image: x\nx-t: {json.dumps(template)}\n"
    printed, err = _compose(source, {})
    with pytest.raises(ComposeError) as info:
        interpolate_tree(parse_yaml(source, "f.yaml").data, {}.get)
    assert printed is None and info.value.diagnostics[0].message in err


@pytest.mark.oracle
def test_casts_against_compose() -> None:
    need(compose_binary(), "docker-compose binary not available")
    source = CAST_SOURCE.replace('      db: {condition: service_started, required: "false"}\n', "")
    source = source.replace("    depends_on:\n", "")
    printed, err = _compose(source, {})
    assert printed is not None, err
    ours = interpolate_tree(parse_yaml(source, "c.yaml").data, {}.get)["services"]["web"]
    web = printed["services"]["web"]
    for key in ("read_only", "privileged", "init", "cpus", "cpu_count", "cpu_percent", "oom_score_adj", "pids_limit",
                "scale", "ulimits"):
        assert web[key] == ours[key], key
    assert web["deploy"]["replicas"] == ours["deploy"]["replicas"] and web["ports"][0]["target"] == 80
