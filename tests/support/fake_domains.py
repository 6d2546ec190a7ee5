"""Stand-ins for `xl`, `virsh` and `screen` that log every call and keep the guests' states in files.

The boot script's tests put these first on PATH.  Every call is a line of
`$FAKE_STATE/log`; a guest is a file `$FAKE_STATE/domain.<name>` holding how
many more looks at it report it as not yet running (`FAKE_BOOT_POLLS`, 0 by
default).  `FAKE_NEVER_RUNS` names guests that never get to run, and
`FAKE_STUBBORN` guests that ignore a shutdown request.
"""

from __future__ import annotations

import os
from pathlib import Path

_COMMON = r"""#!/bin/sh
state=${FAKE_STATE:?}
log() { printf '%s\n' "$*" >> "$state/log"; }
listed() { case " ${2:-} " in *" $1 "*) return 0 ;; esac; return 1; }
# look NAME: prints `starting` or `running`, counting down FAKE_BOOT_POLLS.
look() {
    left=$(cat "$state/domain.$1")
    if listed "$1" "${FAKE_NEVER_RUNS:-}"; then echo starting; return; fi
    if [ "$left" -gt 0 ]; then echo $((left - 1)) > "$state/domain.$1"; echo starting; else echo running; fi
}
"""

XL = _COMMON + r"""
case $1 in
    create)
        name=$(sed -n 's/^name *= *"\(.*\)"$/\1/p' "$2")
        log "xl create $2 -> $name"
        [ -e "$state/domain.$name" ] && { echo "domain $name already exists" >&2; exit 1; }
        echo "${FAKE_BOOT_POLLS:-0}" > "$state/domain.$name"
        ;;
    list)
        if [ ! -e "$state/domain.$2" ]; then
            log "xl list $2 -> none"
            echo "$2 is an invalid domain identifier (rc=-6)" >&2
            exit 1
        fi
        # Not yet running: paused (real Xen has no "booting" flag; "------" is a
        # runnable domain waiting for a CPU, which is running).
        if [ "$(look "$2")" = running ]; then flags=-b----; else flags=--p---; fi
        log "xl list $2 -> $flags"
        printf 'Name                                        ID   Mem VCPUs\tState\tTime(s)\n'
        printf '%-40s %5s %5s %5s     %s %8s\n' "$2" 7 512 1 "$flags" 0.4
        ;;
    shutdown)
        for name; do :; done
        log "xl $*"
        [ -e "$state/domain.$name" ] || exit 1
        listed "$name" "${FAKE_STUBBORN:-}" || rm -f "$state/domain.$name"
        ;;
    destroy)
        log "xl destroy $2"
        rm -f "$state/domain.$2"
        ;;
    *)
        log "xl $*"
        ;;
esac
"""

VIRSH = _COMMON + r"""
[ "$1" = -c ] || { echo "the fake virsh wants -c URI first" >&2; exit 1; }
uri=$2
shift 2
case $1 in
    define)
        name=$(sed -n 's:.*<name>\(.*\)</name>.*:\1:p' "$2" | head -n 1)
        log "virsh -c $uri define $2 -> $name"
        touch "$state/defined.$name"
        ;;
    start)
        log "virsh -c $uri start $2"
        [ -e "$state/defined.$2" ] || exit 1
        echo "${FAKE_BOOT_POLLS:-0}" > "$state/domain.$2"
        ;;
    domstate)
        if [ -e "$state/domain.$2" ]; then
            if [ "$(look "$2")" = running ]; then answer=running; else answer=paused; fi
        elif [ -e "$state/defined.$2" ]; then
            answer="shut off"
        else
            log "virsh -c $uri domstate $2 -> none"
            echo "error: failed to get domain '$2'" >&2
            exit 1
        fi
        log "virsh -c $uri domstate $2 -> $answer"
        printf '%s\n\n' "$answer"
        ;;
    shutdown)
        log "virsh -c $uri shutdown $2"
        listed "$2" "${FAKE_STUBBORN:-}" || rm -f "$state/domain.$2"
        ;;
    destroy)
        log "virsh -c $uri destroy $2"
        rm -f "$state/domain.$2"
        ;;
    *)
        log "virsh -c $uri $*"
        ;;
esac
"""

SCREEN = r"""#!/bin/sh
state=${FAKE_STATE:?}
case $1 in
    -ls)
        found=0
        for session in "$state"/screen.*; do
            [ -e "$session" ] || continue
            [ $found -eq 0 ] && echo "There are screens on:"
            printf '\t%s.%s\t(Detached)\n' 4242 "${session##*/screen.}"
            found=$((found + 1))
        done
        [ $found -eq 0 ] && echo "No Sockets found in /run/screen/S-root."
        exit 1
        ;;
    -dmS)
        printf '%s\n' "screen $*" >> "$state/log"
        touch "$state/screen.$2"
        ;;
    *)
        printf '%s\n' "screen $*" >> "$state/log"
        ;;
esac
"""


def install_fakes(folder: Path) -> Path:
    """Writes the fake commands into `folder/bin` and returns that folder."""
    bin_folder = folder / "bin"
    bin_folder.mkdir(parents=True, exist_ok=True)
    for name, text in (("xl", XL), ("virsh", VIRSH), ("screen", SCREEN)):
        path = bin_folder / name
        path.write_text(text)
        os.chmod(path, 0o755)
    return bin_folder
