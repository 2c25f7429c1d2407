"""Networks, aliases and published ports, as Compose attaches and publishes its containers."""

from __future__ import annotations

from ...model import Network, Service
from ...model.types import ServiceNetwork
from .context import NAME, Context
from .quote import Arg, Word, csv_field, word

IFNAME_OPT = "com.docker.network.endpoint.ifname"


def _flag(name: str, value: str | Word) -> Word:
    return word(f"--{name}=", value)


def networks_by_priority(svc: Service) -> list[str]:
    """Compose's NetworksByPriority: highest priority first, then by name."""
    return sorted(svc.networks, key=lambda k: (-((svc.networks[k] or ServiceNetwork()).priority or 0), k))


def network_name(ctx: Context, key: str) -> str:
    net = ctx.project.networks.get(key)
    return net.name if net is not None and net.name else f"{ctx.project.name}_{key}"


def _driver_opts(cfg: ServiceNetwork) -> dict[str, str]:
    opts = dict(cfg.driver_opts)
    if cfg.interface_name:
        opts[IFNAME_OPT] = cfg.interface_name
    return opts


def attachment_args(ctx: Context, svc: Service, key: str, connect: bool) -> list[Arg]:
    """Aliases and endpoint settings of one attachment, for `docker create` or `docker network connect`.

    Aliases are Compose's: the container name, the service name, then the configured aliases.
    """
    cfg = svc.networks.get(key) or ServiceNetwork()
    alias = "alias" if connect else "network-alias"
    # --alias of network connect is a CSV list; --network-alias of create is not
    quoted = csv_field if connect else (lambda s: s)
    args: list[Arg] = [word(f"--{alias}=", NAME), _flag(alias, quoted(svc.name))]
    args += [_flag(alias, quoted(a)) for a in cfg.aliases]
    if cfg.ipv4_address:
        args.append(_flag("ip", cfg.ipv4_address))
    if cfg.ipv6_address:
        args.append(_flag("ip6", cfg.ipv6_address))
    args += [_flag("link-local-ip", ip) for ip in cfg.link_local_ips]
    mac = cfg.mac_address
    if connect:
        args += [_flag("driver-opt", csv_field(f"{k}={v}")) for k, v in _driver_opts(cfg).items()]
        if cfg.gw_priority:
            args.append(_flag("gw-priority", str(cfg.gw_priority)))
        if mac:
            ctx.warn("dockerrun-network-mac", "docker network connect cannot set a MAC address; only the "
                     "first network of a service can have one", ("services", svc.name, "networks", key, "mac_address"))
    else:
        mac = mac or svc.mac_address
        if mac:
            args.append(_flag("mac-address", mac))
    return args


def main_network_args(ctx: Context, svc: Service) -> list[Arg]:
    """--network: network_mode, else the first network by priority (others are connected before start)."""
    if svc.network_mode:
        mode = svc.network_mode
        if mode.startswith("service:"):
            mode = "container:" + ctx.first_container(mode[len("service:"):])
        if svc.mac_address:
            return [_flag("network", mode), _flag("mac-address", svc.mac_address)]
        return [_flag("network", mode)]
    if not ctx.project.networks:
        return [_flag("network", "none")]
    keys = networks_by_priority(svc) or ["default"]
    key = keys[0]
    cfg = svc.networks.get(key) or ServiceNetwork()
    args: list[Arg] = []
    opts = _driver_opts(cfg)
    if opts or cfg.gw_priority:
        # Only the long --network syntax carries endpoint driver options and the gateway priority.
        fields = [f"name={network_name(ctx, key)}"]
        fields += [f"driver-opt={k}={v}" for k, v in opts.items()]
        if cfg.gw_priority:
            fields.append(f"gw-priority={cfg.gw_priority}")
        args.append(_flag("network", ",".join(csv_field(f) for f in fields)))
    else:
        args.append(_flag("network", network_name(ctx, key)))
    return args + attachment_args(ctx, svc, key, connect=False)


def extra_networks(ctx: Context, svc: Service) -> list[tuple[str, list[Arg]]]:
    """(network name, connect flags) for every network after the first, in priority order."""
    if svc.network_mode or not ctx.project.networks:
        return []
    keys = networks_by_priority(svc)
    return [(network_name(ctx, k), attachment_args(ctx, svc, k, connect=True)) for k in keys[1:]]


def port_args(ctx: Context, svc: Service) -> list[Arg]:
    """--publish for ports (ranges already expanded by the loader), --expose for expose."""
    args: list[Arg] = []
    for i, p in enumerate(svc.ports):
        if p.target is None:
            continue
        spec = f"{p.target}/{p.protocol or 'tcp'}"
        host_ip = p.host_ip or ""
        if ":" in host_ip:
            host_ip = f"[{host_ip}]"
        if host_ip:
            spec = f"{host_ip}:{p.published or ''}:{spec}"
        elif p.published:
            spec = f"{p.published}:{spec}"
        args.append(_flag("publish", spec))
        for key in ("name", "app_protocol"):
            if getattr(p, key):
                ctx.info("dockerrun-port-metadata", f"ports.{key} is metadata that docker run has no place for",
                         ("services", svc.name, "ports", i, key))
        if p.mode == "host":
            ctx.info("dockerrun-port-mode", "ports.mode only matters to Swarm; a container always publishes on its host",
                     ("services", svc.name, "ports", i, "mode"))
    args += [_flag("expose", e) for e in svc.expose]
    return args


def network_create_args(ctx: Context, key: str, net: Network) -> list[Arg]:
    """Flags of `docker network create`, with the labels Compose sets (but no config-hash, see docs)."""
    args: list[Arg] = []
    if net.driver:
        args.append(_flag("driver", net.driver))
    args += [_flag("opt", f"{k}={v}") for k, v in net.driver_opts.items()]
    if net.internal:
        args.append(word("--internal"))
    if net.attachable:
        args.append(word("--attachable"))
    if net.enable_ipv6 is not None:
        args.append(_flag("ipv6", "true" if net.enable_ipv6 else "false"))
    if net.enable_ipv4 is not None:
        args.append(_flag("ipv4", "true" if net.enable_ipv4 else "false"))
    if net.ipam.driver:
        args.append(_flag("ipam-driver", net.ipam.driver))
    for pool in net.ipam.config:
        if pool.subnet:
            args.append(_flag("subnet", pool.subnet))
        if pool.ip_range:
            args.append(_flag("ip-range", pool.ip_range))
        if pool.gateway:
            args.append(_flag("gateway", pool.gateway))
        args += [_flag("aux-address", f"{k}={v}") for k, v in pool.aux_addresses.items()]
    args += [_flag("ipam-opt", f"{k}={v}") for k, v in net.ipam.options.items()]
    labels = dict(net.labels)
    labels.update({"com.docker.compose.network": key, "com.docker.compose.project": ctx.project.name,
                   "com.docker.compose.version": "2.40.3"})
    args += [_flag("label", f"{k}={v}") for k, v in labels.items()]
    return args
