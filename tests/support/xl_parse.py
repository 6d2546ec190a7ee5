"""Parse an xl.cfg with Xen's own parser, libxlutil, through ctypes; print what it read as JSON.

Run as a subprocess with LD_LIBRARY_PATH pointing into the unpacked Xen
libraries (the dynamic linker reads it only at start):

    python xl_parse.py FILE     -> {"strings": {...}, "longs": {...}, "lists": {...}, "disks": [...]}

Exit status 1 with Xen's own message on stderr when the file does not parse.
No hypervisor is needed: libxlutil only parses.
"""

from __future__ import annotations

import ctypes
import json
import sys

STRING_KEYS = ("name", "uuid", "type", "bootloader", "kernel", "ramdisk", "cmdline", "on_poweroff",
               "on_reboot", "on_crash", "serial")
LONG_KEYS = ("memory", "maxmem", "vcpus", "cpu_weight", "cap")
LIST_KEYS = ("disk", "vif")
DISK_STRUCT_BYTES = 512      # libxl_device_disk is smaller; zeroed room to spare


def main(path: str) -> int:
    libc = ctypes.CDLL(None)
    libc.fdopen.restype = ctypes.c_void_p
    libc.fdopen.argtypes = [ctypes.c_int, ctypes.c_char_p]
    xlu = ctypes.CDLL("libxlutil.so.4.17")
    libxl = ctypes.CDLL("libxenlight.so.4.17")
    xlu.xlu_cfg_init.restype = ctypes.c_void_p
    xlu.xlu_cfg_init.argtypes = [ctypes.c_void_p, ctypes.c_char_p]
    xlu.xlu_cfg_readfile.argtypes = [ctypes.c_void_p, ctypes.c_char_p]
    xlu.xlu_cfg_get_string.argtypes = [ctypes.c_void_p, ctypes.c_char_p, ctypes.POINTER(ctypes.c_char_p), ctypes.c_int]
    xlu.xlu_cfg_get_long.argtypes = [ctypes.c_void_p, ctypes.c_char_p, ctypes.POINTER(ctypes.c_long), ctypes.c_int]
    xlu.xlu_cfg_get_list.argtypes = [ctypes.c_void_p, ctypes.c_char_p, ctypes.POINTER(ctypes.c_void_p),
                                     ctypes.POINTER(ctypes.c_int), ctypes.c_int]
    xlu.xlu_cfg_get_listitem.restype = ctypes.c_char_p
    xlu.xlu_cfg_get_listitem.argtypes = [ctypes.c_void_p, ctypes.c_int]
    xlu.xlu_disk_parse.argtypes = [ctypes.c_void_p, ctypes.c_int, ctypes.POINTER(ctypes.c_char_p), ctypes.c_void_p]
    libxl.libxl_device_disk_init.argtypes = [ctypes.c_void_p]

    report = libc.fdopen(2, b"w")
    config = xlu.xlu_cfg_init(report, path.encode())
    if xlu.xlu_cfg_readfile(config, path.encode()) != 0:
        return 1
    result: dict[str, dict[str, object] | list[object]] = {"strings": {}, "longs": {}, "lists": {}, "disks": []}
    for key in STRING_KEYS:
        value = ctypes.c_char_p()
        if xlu.xlu_cfg_get_string(config, key.encode(), ctypes.byref(value), 1) == 0:
            result["strings"][key] = value.value.decode()  # type: ignore[index, union-attr]
    for key in LONG_KEYS:
        number = ctypes.c_long()
        if xlu.xlu_cfg_get_long(config, key.encode(), ctypes.byref(number), 1) == 0:
            result["lists" if False else "longs"][key] = number.value  # type: ignore[index]
    for key in LIST_KEYS:
        handle = ctypes.c_void_p()
        count = ctypes.c_int()
        if xlu.xlu_cfg_get_list(config, key.encode(), ctypes.byref(handle), ctypes.byref(count), 1) == 0:
            items = [xlu.xlu_cfg_get_listitem(handle, i).decode() for i in range(count.value)]
            result["lists"][key] = items  # type: ignore[index]
    for spec in result["lists"].get("disk", []):  # type: ignore[union-attr]
        disk = ctypes.create_string_buffer(DISK_STRUCT_BYTES)
        libxl.libxl_device_disk_init(disk)
        specs = (ctypes.c_char_p * 1)(spec.encode())
        if xlu.xlu_disk_parse(config, 1, specs, disk) != 0:
            print(f"{path}: disk spec not accepted by xlu_disk_parse: {spec}", file=sys.stderr)
            return 1
        # libxl_device_disk begins: uint32 backend_domid; char *backend_domname; char *pdev_path; char *vdev;
        pointers = ctypes.cast(disk, ctypes.POINTER(ctypes.c_char_p))
        result["disks"].append({"pdev_path": _text(pointers[2]), "vdev": _text(pointers[3])})  # type: ignore[union-attr]
    print(json.dumps(result, sort_keys=True))
    return 0


def _text(value: bytes | None) -> str | None:
    return value.decode() if value is not None else None


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1]))
