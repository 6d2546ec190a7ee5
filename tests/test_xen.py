"""Xen xl.cfg files, read back by Xen's own parser (libxlutil, through ctypes, no hypervisor needed).

The Xen libraries come from Debian packages unpacked into .tools/ (never
installed); the parser runs in a subprocess because the dynamic linker
reads LD_LIBRARY_PATH only when a process starts.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from gwlang.cli import main
from gwlang.emit.xen import parse_vif_spec
from tests.support.debs import library_path, unpacked

ROOT = Path(__file__).resolve().parent.parent
XEN_LIBRARIES = ("libxenmisc4.17", "libxencall1", "libxendevicemodel1", "libxenevtchn1", "libxenforeignmemory1",
                 "libxengnttab1", "libxenhypfs1", "libxenstore4", "libxentoollog1", "libxentoolcore1", "libyajl2")


@pytest.fixture(scope="module")
def xl_parse() -> object:
    root = unpacked(*XEN_LIBRARIES)
    environment = dict(os.environ, LD_LIBRARY_PATH=library_path(root))

    def parse(path: Path) -> dict[str, object]:
        done = subprocess.run([sys.executable, str(ROOT / "tests/support/xl_parse.py"), str(path)],
                              env=environment, capture_output=True, text=True, timeout=60)
        if done.returncode != 0:
            raise AssertionError(f"Xen's parser refused {path}:\n{done.stderr}")
        return json.loads(done.stdout)  # type: ignore[no-any-return]
    return parse


def compile_to(sources: list[str], output: Path) -> None:
    assert main(["compile", *sources, "-o", str(output)]) == 0


def test_every_example_config_parses_with_xens_parser(tmp_path: Path, xl_parse: object) -> None:
    compile_to([str(ROOT / "sites")], tmp_path)
    site_data = {p.parent.name: json.loads(p.read_text()) for p in tmp_path.glob("*/site.json")}
    configs = sorted(tmp_path.glob("*/hosts/*/xen/*.cfg"))
    assert len(configs) > 40
    for config in configs:
        read = xl_parse(config)  # type: ignore[operator]
        site = config.parts[-5]
        node = site_data[site]["nodes"][config.stem]
        assert read["strings"]["name"] == config.stem
        assert read["strings"]["uuid"] == node["uuid"]
        assert read["strings"]["type"] == node["vm"]["type"]
        assert read["longs"]["memory"] * 1024 * 1024 == _bytes(node["vm"]["memory"])
        assert read["longs"]["vcpus"] == node["vm"]["vcpus"]
        assert read["longs"]["cpu_weight"] == node["vm"]["cpu-weight"]
        config = [node["config-disk"]] if node["config-disk"]["format"] != "none" else []
        assert [d["vdev"] for d in read["disks"]] == \
            [node["disks"][k]["device"] for k in sorted(node["disks"])] + [c["device"] for c in config]
        assert [d["pdev_path"] for d in read["disks"]] == \
            [node["disks"][k]["path"] for k in sorted(node["disks"])] + [c["path"] for c in config]
        macs = [parse_vif_spec(spec)["mac"] for spec in read["lists"]["vif"]]
        assert macs == [i["mac"] for _, i in sorted(node["network"]["interfaces"].items())]


def _bytes(size: str) -> int:
    units = {"KiB": 1 << 10, "MiB": 1 << 20, "GiB": 1 << 30, "TiB": 1 << 40}
    for unit, factor in units.items():
        if size.endswith(unit):
            return int(size[: -len(unit)]) * factor
    return int(size.rstrip("B"))


HOSTILE_CMDLINE = 'console=hvc0 quiet "quoted" back\\slash $(reboot) `id` <tag> & ]]>'


def test_hostile_strings_read_back_exactly(tmp_path: Path, xl_parse: object) -> None:
    site = tmp_path / "hostile.gw"
    site.write_text(_site(f'boot.cmdline = {json.dumps(HOSTILE_CMDLINE)}; boot.kernel = "/boot/vmlinuz x";'))
    compile_to([str(site)], tmp_path / "out")
    read = xl_parse(tmp_path / "out/hostile/hosts/gw/xen/ce.cfg")  # type: ignore[operator]
    assert read["strings"]["cmdline"] == HOSTILE_CMDLINE
    assert read["strings"]["kernel"] == "/boot/vmlinuz x"


def test_a_newline_in_the_command_line_reads_back(tmp_path: Path, xl_parse: object) -> None:
    site = tmp_path / "hostile.gw"
    site.write_text(_site('boot.cmdline = "one\\ntwo\\tthree"; boot.kernel = "/boot/vmlinuz";'))
    compile_to([str(site)], tmp_path / "out")
    read = xl_parse(tmp_path / "out/hostile/hosts/gw/xen/ce.cfg")  # type: ignore[operator]
    assert read["strings"]["cmdline"] == "one\ntwo\tthree"


def test_a_bridge_name_a_vif_spec_cannot_carry_is_a_diagnostic(tmp_path: Path,
                                                               capsys: pytest.CaptureFixture[str]) -> None:
    site = tmp_path / "hostile.gw"
    site.write_text(_site('network.interfaces.eth0.bridge = "xenbr0,script=/tmp/x";',
                          host='bridges."xenbr0,script=/tmp/x".interface = null;'))
    assert main(["compile", str(site), "-o", str(tmp_path / "out")]) == 1
    err = capsys.readouterr().err
    assert "error[E0601]" in err and "xl device spec cannot carry" in err
    assert not (tmp_path / "out").exists()


def _site(node_body: str, host: str = "") -> str:
    return f"""
import <grid/roles.gw>;
site hostile {{
  domain = "hostile.example.org";
  network.subnet = 192.0.2.0/24;
  network.gateway = 192.0.2.1;
  host gw {{ memory = 4GiB; cpus = 2; bridges.xenbr0.interface = "eth0"; {host} }}
  node ce : ce {{ host = gw; ip = 192.0.2.11; {node_body} }}
}}
"""


@pytest.mark.parametrize("spec, expected", [
    ("mac=00:16:3e:00:00:01,bridge=xenbr0", {"mac": "00:16:3e:00:00:01", "bridge": "xenbr0"}),
    ("bridge=br0, mac=00:16:3e:00:00:02", {"bridge": "br0", "mac": "00:16:3e:00:00:02"}),
])
def test_vif_checker_accepts(spec: str, expected: dict[str, str]) -> None:
    assert parse_vif_spec(spec) == expected


@pytest.mark.parametrize("spec, problem", [
    ("mac=00:16:3e:00:00:01,colour=red", "unknown vif setting `colour`"),
    ("mac=00:16:3e:00:00:01,mac=00:16:3e:00:00:02", "`mac` given twice"),
    ("bridge", "is not `key=value`"),
    ("bridge=", "is not `key=value`"),
])
def test_vif_checker_refuses(spec: str, problem: str) -> None:
    with pytest.raises(ValueError, match=problem):
        parse_vif_spec(spec)
