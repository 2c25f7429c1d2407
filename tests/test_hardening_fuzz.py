"""The fuzz tier: a fixed, derandomized budget of generated and mutated Compose files, each loaded and
converted by every target (plain, one file per object, every packaging layout), a sample through the
CLI in-process and a few through `python -m composeconv`.

The invariant, for every input (tests/fuzz.py): success, or an error whose diagnostics name a
position; never another exception, a traceback, an exit code other than 0 or 1 (2 is for usage
errors, and these command lines are well formed), or more than a few seconds. The long run of the
same generators is `python -m tests.fuzz --minutes 25` (docs/reliability.md).
"""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import fuzz
from composeconv.api import targets
from support import CORPUS, need

pytestmark = pytest.mark.slow

_BASE = settings(derandomize=True, database=None, deadline=None, print_blob=True,
                 suppress_health_check=list(HealthCheck))


def budget(examples: int) -> settings:
    return settings(_BASE, max_examples=examples)
CASES = fuzz.corpus_cases()


@pytest.fixture
def workspace():
    ws = fuzz.Workspace()
    yield ws
    ws.close()


def check(fn, *args, **kwargs):
    """fn(*args), where only a failure from a listed known bug (fuzz.KNOWN_BUGS) is tolerated."""
    try:
        return fn(*args, **kwargs)
    except fuzz.InvariantBroken as e:
        if fuzz.known_bug(str(e)) is None:
            raise
        return None


def _corpus_needed() -> None:
    need(CASES, f"corpus not available at {CORPUS}")


@budget(1200)
@given(doc=fuzz.compose_documents(), style=st.integers(0, 2))
def test_schema_documents(workspace, doc, style):
    check(fuzz.check_project, [str(workspace.write(fuzz.dump_document(doc, style)))])


@budget(1200)
@given(doc=fuzz.nearly_valid_documents(), style=st.integers(0, 2))
def test_nearly_valid_documents(workspace, doc, style):
    check(fuzz.check_project, [str(workspace.write(fuzz.dump_document(doc, style)))])


@budget(3000)
@given(data=st.data())
def test_corpus_byte_mutations(workspace, data):
    _corpus_needed()
    case, ops = data.draw(fuzz.corpus_mutations(CASES))
    mutated = fuzz.mutate_bytes(fuzz.corpus_bytes(case), ops)
    path = workspace.write(mutated, case)
    check(fuzz.check_project, [str(path)], working_dir=fuzz.project_dir(case, path))


@budget(1000)
@given(data=st.data())
def test_corpus_tree_mutations(workspace, data):
    from composeconv.diagnostics import ComposeError
    from composeconv.yamlsource import parse_yaml

    _corpus_needed()
    case = data.draw(st.sampled_from(CASES))
    ops = data.draw(st.lists(st.tuples(st.sampled_from(fuzz.MUTATIONS), st.integers(0, 2**32)), min_size=1,
                             max_size=3))
    try:
        doc = parse_yaml(fuzz.corpus_bytes(case), case).data
    except ComposeError:
        doc = None
    if not isinstance(doc, dict):
        doc = {"services": {"a": {"image": "x"}}}
    path = workspace.write(fuzz.dump_document(fuzz.mutate_document(doc, ops)), case)
    check(fuzz.check_project, [str(path)], working_dir=fuzz.project_dir(case, path))


@budget(80)
@given(data=st.data())
def test_cli_in_process(workspace, data):
    """config, validate, convert (every target and layout) through the CLI's own code."""
    case = None
    if CASES and data.draw(st.booleans()):
        case, ops = data.draw(fuzz.corpus_mutations(CASES))
        path = workspace.write(fuzz.mutate_bytes(fuzz.corpus_bytes(case), ops), case)
    else:
        doc = data.draw(st.one_of(fuzz.compose_documents(), fuzz.nearly_valid_documents()))
        path = workspace.write(fuzz.dump_document(doc))
    check(fuzz.check_cli, [str(path)], fuzz.project_dir(case, path))


def test_every_corpus_case_unmutated(workspace):
    """The starting points of the mutations, as they are: every case, every target, the invariant."""
    _corpus_needed()
    loaded = 0
    for case in CASES:
        outcome = check(fuzz.check_project, [str(CORPUS / "cases" / case)], environ={"HOME": "/home/fuzz"})
        loaded += bool(outcome and outcome.loaded)
    assert loaded > len(CASES) // 2


# Real processes: the interpreter's start-up, stdout/stderr encoding and exit codes as users see them.
SUBPROCESS_INPUTS = {
    "garbage": b"\x00\xff\xfe garbage \x01",
    "utf16": "services:\n  a:\n    image: x\n".encode("utf-16"),  # a BOM tells YAML the encoding
    "truncated": b"services:\n  a:\n    image: x\n    ports:\n      - '80",
    "tabs": b"services:\n\ta:\n\t\timage: x\n",
    "python-tag": b"services:\n  a: !!python/object/apply:os.system ['false']\n",
    "deep": b"x: " + b"[" * 500 + b"]" * 500 + b"\n",
    "interpolation": b"services:\n  a:\n    image: ${" + b"A:-${" * 100 + b"}" * 100 + b"}\n",
    "valid": b"services:\n  web:\n    image: nginx\n    ports: ['8080:80']\n",
}


@pytest.mark.parametrize("name", sorted(SUBPROCESS_INPUTS))
def test_subprocess(tmp_path: Path, name: str):
    path = tmp_path / "compose.yaml"
    path.write_bytes(SUBPROCESS_INPUTS[name])
    codes = set()
    for args in (["config", "-f", str(path)], ["validate", "-f", str(path)],
                 *(["convert", "--to", t, "-f", str(path)] for t in targets())):
        codes.add(fuzz.run_subprocess(args, str(tmp_path)).returncode)
    assert codes == ({0} if name in ("valid", "utf16") else {1})


def test_the_invariant_catches_what_it_should(tmp_path: Path):
    """The checks themselves can fail: an exception, a missing position, a bad exit or a slow input."""
    from composeconv.backends import ConvertResult, OutputFile
    from composeconv.diagnostics import ComposeError, Diagnostic, Level

    with pytest.raises(fuzz.InvariantBroken, match="without a position"):
        fuzz.check_error(ComposeError(Diagnostic("x", Level.ERROR, "m")), "load")
    with pytest.raises(fuzz.InvariantBroken, match="unsafe output file name"):
        fuzz.check_result(ConvertResult((OutputFile("../x", ""),)), "convert")
    with pytest.raises(fuzz.InvariantBroken, match="not valid YAML"):
        fuzz.check_result(ConvertResult((OutputFile("a.yaml", "a: [\n"),)), "convert")
    with pytest.raises(fuzz.InvariantBroken, match="exit code 3"):
        fuzz.check_cli_output(["convert"], 3, "", "")
    with pytest.raises(fuzz.InvariantBroken, match="traceback"):
        fuzz.check_cli_output(["convert"], 1, "", "composeconv: internal error: KeyError: 'x'\n")
    with pytest.raises(fuzz.InvariantBroken, match="positioned error"):
        fuzz.check_cli_output(["convert"], 1, "", "<input>: error: x: m\n")
    fuzz.check_cli_output(["convert"], 1, "", "/p/compose.yaml:3:5: error: x: m\n")
    path = tmp_path / "compose.yaml"
    path.write_text("services:\n  a:\n    image: x\n")
    with pytest.raises(fuzz.InvariantBroken, match="took"):
        fuzz.check_project([str(path)], deadline=0.0)


def test_workspace_cleans_up():
    ws = fuzz.Workspace()
    root = ws.root
    ws.write(b"services: {}\n")
    ws.close()
    assert not root.exists()
    shutil.rmtree(root, ignore_errors=True)


# ---------------------------------------------------------------- bugs the tier found in other code


def test_nul_in_a_value(tmp_path: Path):
    # docker-run's shell quoting raised ValueError on it
    path = tmp_path / "compose.yaml"
    path.write_text('services:\n  a:\n    image: "busy\\0box"\n    command: ["echo", "a\\0b"]\n')
    fuzz.check_project([str(path)], layouts=False)


def test_project_name_interpolation_error_has_a_position(tmp_path: Path):
    # the loader interpolated the top-level name without a source map
    from composeconv.api import load_project
    from composeconv.diagnostics import ComposeError

    path = tmp_path / "compose.yaml"
    path.write_text("services:\n  a:\n    image: x\nname: ${\n")
    fuzz.check_project([str(path)], layouts=False)
    with pytest.raises(ComposeError) as info:
        load_project([str(path)], environ={})
    [d] = info.value.diagnostics
    assert (d.position.file, d.position.line) == (str(path), 4)


@pytest.mark.parametrize("body", ['include: ["a\\0b.yaml"]\nservices:\n  a:\n    image: x\n',
                                  'services:\n  a:\n    extends: {file: "a\\0b", service: x}\n'])
def test_nul_in_an_include_or_extends_path(tmp_path: Path, body: str):
    # open() raised ValueError in the loader
    path = tmp_path / "compose.yaml"
    path.write_text(body)
    outcome = fuzz.check_project([str(path)], layouts=False)
    assert outcome.codes == ["file-not-found"]


@pytest.mark.parametrize("key", ["env_file", "label_file"])
def test_nul_in_an_env_file_path(tmp_path: Path, key: str):
    # open() raised ValueError when env files were folded into the environment
    path = tmp_path / "compose.yaml"
    path.write_text(f'services:\n  a:\n    image: x\n    {key}: ["a\\0b"]\n')
    outcome = fuzz.check_project([str(path)], layouts=False)
    assert not outcome.loaded and outcome.codes


@pytest.mark.parametrize("key", ["env_file", "label_file"])
@pytest.mark.parametrize("name", ["x" * 300 + ".env", "loop"])
def test_env_file_path_that_cannot_be_opened(tmp_path: Path, key: str, name: str):
    (tmp_path / "loop").symlink_to("loop")
    path = tmp_path / "compose.yaml"
    path.write_text(f'services:\n  a:\n    image: x\n    {key}: ["{name}"]\n')
    kind = key.partition("_")[0]
    assert fuzz.check_project([str(path)], layouts=False).codes == [f"{kind}-file-unreadable"]


@pytest.mark.parametrize("name", ["x" * 300 + ".yaml", "loop"])
def test_include_path_that_cannot_be_opened(tmp_path: Path, name: str):
    (tmp_path / "loop").symlink_to("loop")
    path = tmp_path / "compose.yaml"
    path.write_text(f'include: ["{name}"]\nservices:\n  a:\n    image: x\n')
    assert fuzz.check_project([str(path)], layouts=False).codes == ["file-not-found"]


def test_every_known_bug_has_a_strict_xfail_test():
    """A bug the fuzzer knows about must have a strict xfail test that reproduces it."""
    import test_hardening_fuzz as me

    for pattern, test in fuzz.KNOWN_BUGS.items():
        module, _, name = test.partition("::")
        assert module == "test_hardening_fuzz.py", test
        marks = {m.name: m for m in getattr(me, name).pytestmark}
        assert marks["xfail"].kwargs.get("strict") is True, test
        assert re.compile(pattern), test