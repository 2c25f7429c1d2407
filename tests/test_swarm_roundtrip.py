"""A stack file is a Compose file: loading our own output gives back what Swarm keeps of the model."""

from __future__ import annotations

import tempfile
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from composeconv.backends import ConvertOptions
from composeconv.backends.swarm import convert
from composeconv.model import types as T
from composeconv.model.values import Duration
from test_swarm_helpers import load_stack_file, write_result

names = st.from_regex(r"[a-z][a-z0-9]{0,8}", fullmatch=True)
env_keys = st.from_regex(r"[A-Z][A-Z0-9_]{0,8}", fullmatch=True)
# values with the characters that need care: `$` (interpolated again), quotes, YAML indicators, unicode
values = st.text(st.sampled_from(list("ab z$${}:#'\"-!&*?|>%@`\\é\t")), max_size=12)
durations = st.integers(1, 3600).map(lambda s: Duration(s * 10**9))
RESTART_CONDITION = {"no": "none", "always": "any", "unless-stopped": "any", "on-failure": "on-failure"}


@st.composite
def services(draw, name: str, networks: list[str], volumes: list[str], secrets: list[str]) -> T.Service:
    ports = draw(st.lists(st.builds(
        lambda target, published, protocol, mode: T.Port(target=target, published=published, protocol=protocol,
                                                         mode=mode),
        st.integers(1, 65535), st.one_of(st.none(), st.integers(1, 65535).map(str)),
        st.sampled_from(["tcp", "udp"]), st.sampled_from(["ingress", "host"])), max_size=2,
        # Compose drops repeated ports when it loads a file, so a loaded model never has them
        unique_by=lambda p: (p.target, p.published, p.protocol, p.mode)))
    restart = draw(st.one_of(st.none(), st.sampled_from(["no", "always", "unless-stopped", "on-failure"]),
                             st.integers(1, 9).map(lambda n: f"on-failure:{n}")))
    healthcheck = draw(st.one_of(st.none(), st.builds(
        lambda cmd, interval, retries: T.Healthcheck(test=("CMD-SHELL", cmd), interval=interval, retries=retries),
        values.filter(str.strip), st.one_of(st.none(), durations), st.one_of(st.none(), st.integers(1, 9)))))
    resources = T.Resources(limits=draw(st.one_of(st.none(), st.builds(
        lambda c, m: T.Resource(cpus=c, memory=m), st.sampled_from([0.25, 0.5, 1.0, 2.0]),
        st.integers(1, 1024).map(lambda n: n * 2**20)))))
    deploy = T.Deploy(replicas=draw(st.one_of(st.none(), st.integers(0, 5))), resources=resources,
                      labels=draw(st.dictionaries(names, values, max_size=2)))
    mounts = tuple(T.Mount(type="volume", source=v, target=f"/data/{v}", read_only=ro, volume=T.VolumeVolume())
                   for v, ro in draw(st.lists(st.tuples(st.sampled_from(volumes), st.booleans()), max_size=2,
                                              unique_by=lambda t: t[0]) if volumes else st.just([])))
    return T.Service(
        name=name,
        image=draw(st.sampled_from(["busybox", "nginx:1.27", "registry.example.com:5000/team/app@sha256:" + "a" * 64])),
        command=draw(st.one_of(st.none(), st.lists(values, min_size=1, max_size=3).map(tuple))),
        entrypoint=draw(st.one_of(st.none(), st.lists(values, min_size=1, max_size=2).map(tuple))),
        environment=draw(st.dictionaries(env_keys, st.one_of(st.none(), values), max_size=3)),
        labels=draw(st.dictionaries(names.map(lambda n: "com.example." + n), values, max_size=2)),
        user=draw(st.one_of(st.none(), st.sampled_from(["1000", "1000:1000", "app"]))),
        working_dir=draw(st.one_of(st.none(), st.just("/srv/app"))),
        ports=tuple(ports), restart=restart, healthcheck=healthcheck, deploy=deploy, volumes=mounts,
        read_only=draw(st.booleans()), init=draw(st.one_of(st.none(), st.booleans())),
        stop_grace_period=draw(st.one_of(st.none(), durations)),
        networks={n: None for n in draw(st.lists(st.sampled_from(networks), min_size=1, max_size=2, unique=True))},
        secrets=tuple(T.FileReference(source=s) for s in draw(st.lists(st.sampled_from(secrets), max_size=1)))
        if secrets else (),
    )


@st.composite
def projects(draw) -> T.Project:
    nets = ["default", *draw(st.lists(names.map(lambda n: "n" + n), max_size=2, unique=True))]
    vols = draw(st.lists(names.map(lambda n: "v" + n), max_size=2, unique=True))
    secrets = draw(st.lists(names.map(lambda n: "s" + n), max_size=1, unique=True))
    svc_names = draw(st.lists(names, min_size=1, max_size=3, unique=True))
    return T.Project(
        name="rt",
        services={n: draw(services(n, nets, vols, secrets)) for n in svc_names},
        networks={n: T.Network(name=f"rt_{n}", labels=draw(st.dictionaries(names, values, max_size=1)),
                               internal=draw(st.booleans()) if n != "default" else False) for n in nets},
        volumes={v: T.Volume(name=f"rt_{v}", labels=draw(st.dictionaries(names, values, max_size=1))) for v in vols},
        secrets={s: T.FileObject(name=f"rt_{s}", file=f"@DIR@/{s}.txt") for s in secrets},
    )


def _located(p: T.Project, folder: Path) -> T.Project:
    from composeconv import records

    secrets = {k: records.replace(v, file=v.file.replace("@DIR@", str(folder))) for k, v in p.secrets.items()}
    for s in secrets.values():
        Path(s.file).write_text("secret\n")
    return records.replace(p, secrets=secrets, working_dir=str(folder))


def kept(p: T.Project) -> dict[str, Any]:
    """What Swarm keeps of a project, normalized the way Compose and the stack file both say it."""
    out: dict[str, Any] = {"services": {}, "networks": {}, "volumes": {}, "secrets": {}}
    for name, s in p.services.items():
        deploy = s.deploy or T.Deploy()
        policy = deploy.restart_policy
        if policy is None and s.restart:
            cond, _, n = s.restart.partition(":")
            policy = T.RestartPolicy(condition=RESTART_CONDITION[cond], max_attempts=int(n) if n else None)
        ports = sorted((pt.target, int(pt.published) if pt.published else None, pt.protocol or "tcp",
                        pt.mode or "ingress") for pt in s.ports)
        out["services"][name] = {
            "image": s.image, "command": s.command, "entrypoint": s.entrypoint, "environment": s.environment,
            "labels": s.labels, "user": s.user, "working_dir": s.working_dir, "ports": ports,
            "healthcheck": s.healthcheck, "replicas": deploy.replicas, "deploy_labels": deploy.labels,
            "limits": deploy.resources.limits, "restart_policy": policy, "read_only": s.read_only, "init": s.init,
            "stop_grace_period": s.stop_grace_period, "networks": sorted(s.networks),
            "mounts": [(m.type, m.source, m.target, m.read_only) for m in s.volumes],
            "secrets": [r.source for r in s.secrets],
        }
    # Compose leaves out top-level objects no service uses
    used_nets = {n for s in p.services.values() for n in s.networks}
    used_vols = {m.source for s in p.services.values() for m in s.volumes}
    used_secrets = {r.source for s in p.services.values() for r in s.secrets}
    for name, n in p.networks.items():
        if name in used_nets:
            out["networks"][name] = (n.name, n.labels, n.internal)
    for name, v in p.volumes.items():
        if name in used_vols:
            out["volumes"][name] = (v.name, v.labels)
    for name, f in p.secrets.items():
        if name in used_secrets:
            out["secrets"][name] = (f.name, f.file)
    return out


@pytest.mark.slow
@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(projects())
def test_loading_the_stack_file_gives_back_what_swarm_keeps(generated: T.Project):
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        original = _located(generated, folder)
        result = convert(original, ConvertOptions(split=True, extra={"stack_dir": str(folder)}))
        write_result(result, folder)
        reloaded = load_stack_file(folder, original.name)
        assert kept(reloaded) == kept(original)
