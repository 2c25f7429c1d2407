"""Generated projects never make the Kubernetes backend raise, and always give valid, stable output."""

from __future__ import annotations

from hypothesis import HealthCheck, given, settings

from composeconv.backends import ConvertOptions
from composeconv.backends.kubernetes import convert
from strategies import projects
from test_kubernetes_validate import all_errors

SETTINGS = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow,
                                                                             HealthCheck.data_too_large])


@SETTINGS
@given(projects())
def test_generated_projects_convert_to_valid_deterministic_output(project):
    first = convert(project, ConvertOptions())
    second = convert(project, ConvertOptions())
    assert first.files == second.files and first.diagnostics == second.diagnostics
    assert all_errors(first) == []


@SETTINGS
@given(projects())
def test_generated_projects_split_json_with_namespace(project):
    result = convert(project, ConvertOptions(split=True, format="json", namespace="ns1", inline_secrets=True))
    paths = [f.path for f in result.files]
    assert len(paths) == len(set(paths)) == len(result.objects)
    assert all_errors(result) == []
