"""The operations-centre workload of issue 9, written as gw sources and as a Nix rendition.

Many sites of one shape, one site per file: install, ce, se, ui and worker nodes on one
Xen host each, six profiles (a base of 20 packages; five roles that each remove one base
package, add 4-10 of their own and set memory, vcpus, cpu weight and disks), explicit
MACs, `after = [ install ]`. The Nix files compute the same merged node records (profiles
in order, lists extended and shrunk) so that `nix-instantiate --eval --strict --json` is
the yardstick for evaluation.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

BASE_PACKAGES = [f"base-{i:02d}" for i in range(1, 21)]


@dataclass(frozen=True)
class Role:
    name: str
    removes: str
    adds: int
    memory_mib: int
    vcpus: int
    weight: int
    data_disk_gib: int  # 0: none


ROLES = (
    Role("installserver", "base-03", 10, 1024, 1, 256, 20),
    Role("ce", "base-05", 6, 2048, 2, 512, 0),
    Role("se", "base-07", 5, 2048, 1, 256, 100),
    Role("ui", "base-09", 4, 1024, 1, 512, 0),
    Role("wn", "base-11", 8, 2048, 2, 128, 0),
)
ROLE_BY_NAME = {role.name: role for role in ROLES}


def node_roles(nodes: int) -> list[tuple[str, str]]:
    """(node name, role) of one site of `nodes` nodes: the four services, then workers."""
    services = [("install", "installserver"), ("ce", "ce"), ("se", "se"), ("ui", "ui")][:nodes]
    workers = [(f"wn{i:0{max(2, len(str(nodes)))}d}", "wn") for i in range(1, nodes - len(services) + 1)]
    return services + workers


def _quoted(names: list[str]) -> str:
    return " ".join(f'"{name}"' for name in names)


def role_packages(role: Role) -> list[str]:
    return [f"{role.name}-{i:02d}" for i in range(1, role.adds + 1)]


def gw_profiles() -> str:
    lines = [
        "# The benchmark's six profiles (bench/workload.py).",
        "profile base {",
        '  os.family = "redhat";',
        "  network.hostname = node.name;",
        '  network.fqdn = "${node.name}.${site.domain}";',
        "  network.dns = site.network.dns;",
        "  network.search = [ site.domain ];",
        "  network.interfaces.eth0 = { ip = node.ip; prefix = site.network.subnet.prefix;"
        " gateway = site.network.gateway; };",
        '  disks.xvda = { size = 8GiB; device = "xvda"; };',
        '  boot.bootloader = "pygrub";',
        f"  packages = [ {_quoted(BASE_PACKAGES)} ];",
        '  services = [ "sshd" "ntpd" ];',
        "}",
    ]
    for role in ROLES:
        lines += [
            f"profile {role.name} extends base {{",
            f'  role = "{role.name}";',
            f"  vm.memory = {role.memory_mib}MiB;",
            f"  vm.vcpus = {role.vcpus};",
            f"  vm.cpu-weight = {role.weight};",
            f'  packages -= [ "{role.removes}" ];',
            f"  packages += [ {_quoted(role_packages(role))} ];",
        ]
        if role.data_disk_gib:
            lines.append(f'  disks.xvdb = {{ size = {role.data_disk_gib}GiB; device = "xvdb"; }};')
        lines.append("}")
    return "\n".join(lines) + "\n"


def site_name(index: int) -> str:
    return f"s{index:04d}"


def mac_of(site: int, node: int) -> str:
    """A distinct MAC per node of the workload (Xen's prefix; site and node in the rest).

    The number is `site * 256 + node`: a site of more than 256 nodes (the apply bench's one big site)
    runs on into the next site's numbers rather than wrapping onto its own first nodes.
    """
    number = (site << 8) + node
    return f"00:16:3e:{number >> 16 & 0xff:02x}:{number >> 8 & 0xff:02x}:{number & 0xff:02x}"


def subnet_of(site: int) -> str:
    return f"10.{site // 256}.{site % 256}"


def gw_site(index: int, nodes: int, uri: str | None = None, node_extra: str = "") -> str:
    name, net = site_name(index), subnet_of(index)
    uri = uri or f"xen+ssh://root@gw.{name}.example.org/system"
    lines = [
        'import "./profiles.gw";',
        f"site {name} {{",
        f'  domain = "{name}.example.org";',
        f"  network.subnet = {net}.0/{24 if nodes < 250 else 16};",
        f"  network.gateway = {net}.1;",
        f"  network.dns = [ {net}.2 ];",
        f'  host gw {{ hypervisor = "xen"; uri = "{uri}"; memory = 4TiB; cpus = 1024;'
        ' bridges.xenbr0.interface = "eth0"; }',
    ]
    for number, (node, role) in enumerate(node_roles(nodes)):
        after = "" if node == "install" else " after = [ install ];"
        lines.append(f"  node {node} : {role} {{ host = gw; ip = hostIn site.network.subnet {10 + number};"
                     f' network.interfaces.eth0.mac = mac "{mac_of(index, number)}";{after}{node_extra} }}')
    lines.append("}")
    return "\n".join(lines) + "\n"


def write_gw(folder: Path, sites: int, nodes: int, uri: str | None = None) -> Path:
    """The gw workload: folder/profiles.gw and folder/sites/<site>.gw; returns the sites folder."""
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "sites").mkdir(exist_ok=True)
    # `import ./profiles.gw` is relative to the site's file: the profiles sit beside the sites.
    (folder / "sites" / "profiles.gw").write_text(gw_profiles())
    for index in range(sites):
        (folder / "sites" / f"{site_name(index)}.gw").write_text(gw_site(index, nodes, uri))
    return folder / "sites"


NIX_PROFILES = """\
# The benchmark's six profiles as functions from a node's context to its settings.
let
  remove = xs: ys: builtins.filter (y: !(builtins.elem y xs)) ys;
  base = { node, site }: {
    os.family = "redhat";
    network = {
      hostname = node.name;
      fqdn = "${node.name}.${site.domain}";
      dns = site.network.dns;
      search = [ site.domain ];
      interfaces.eth0 = { ip = node.ip; prefix = site.network.prefix; gateway = site.network.gateway;
                          mac = node.mac; };
    };
    disks.xvda = { size = 8192; device = "xvda"; };
    boot.bootloader = "pygrub";
    packages = [ BASE ];
    services = [ "sshd" "ntpd" ];
  };
  role = { name, removes, adds, memory, vcpus, weight, disk }: ctx:
    let b = base ctx; in b // {
      role = name;
      vm = { memory = memory; vcpus = vcpus; cpu-weight = weight; };
      packages = remove [ removes ] b.packages ++ adds;
      disks = b.disks // (if disk == 0 then { } else { xvdb = { size = disk * 1024; device = "xvdb"; }; });
    };
in {
ROLES
}
"""


def nix_profiles() -> str:
    roles = []
    for role in ROLES:
        roles.append(f'  {role.name} = role {{ name = "{role.name}"; removes = "{role.removes}"; '
                     f"adds = [ {_quoted(role_packages(role))} ]; memory = {role.memory_mib}; "
                     f"vcpus = {role.vcpus}; weight = {role.weight}; disk = {role.data_disk_gib}; }};")
    return NIX_PROFILES.replace("BASE", _quoted(BASE_PACKAGES)).replace("ROLES", "\n".join(roles))


def nix_site(index: int, nodes: int) -> str:
    name, net = site_name(index), subnet_of(index)
    entries = []
    for number, (node, role) in enumerate(node_roles(nodes)):
        after = "[ ]" if node == "install" else '[ "install" ]'
        entries.append(f'    {node} = mk "{role}" {{ name = "{node}"; ip = "{net}.{10 + number}"; '
                       f'mac = "{mac_of(index, number)}"; host = "gw"; after = {after}; }};')
    return (f"profiles:\nlet\n  site = {{ name = \"{name}\"; domain = \"{name}.example.org\";\n"
            f"    network = {{ subnet = \"{net}.0\"; prefix = 24; gateway = \"{net}.1\";\n"
            f"      dns = [ \"{net}.2\" ]; }}; }};\n"
            "  mk = role: node: node // (builtins.getAttr role profiles) { inherit node site; };\n"
            f"in {{\n  inherit site;\n  nodes = {{\n" + "\n".join(entries) + "\n  };\n}\n")


def write_nix(folder: Path, sites: int, nodes: int) -> Path:
    """The Nix rendition; returns the file to evaluate."""
    (folder / "sites").mkdir(parents=True, exist_ok=True)
    (folder / "profiles.nix").write_text(nix_profiles())
    for index in range(sites):
        (folder / "sites" / f"{site_name(index)}.nix").write_text(nix_site(index, nodes))
    imports = "\n".join(f"  {site_name(i)} = import ./sites/{site_name(i)}.nix profiles;" for i in range(sites))
    top = folder / "default.nix"
    top.write_text(f"let profiles = import ./profiles.nix; in {{\n{imports}\n}}\n")
    return top
