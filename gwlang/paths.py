"""File paths from outside: checked before the operating system sees them.

A path comes from a user's source (`import "./x.gw"`), the command line, an
option (`-I`, `-o`) or the environment (`GWPATH`).  Python's file functions
fail on some of them with exceptions no caller expects (`ValueError` for a
NUL byte, `OSError` for a name longer than the file system allows,
`RuntimeError` for a symlink loop); here they become `BadPath`, with a
message that names the path shortened, so a stage can turn it into its own
diagnostic and the command line into a usage error.
"""

from __future__ import annotations

from pathlib import Path

# Linux's PATH_MAX and NAME_MAX; other systems allow no more.
MAX_PATH_BYTES = 4096
MAX_NAME_BYTES = 255
_SHOWN_CHARACTERS = 60


class BadPath(ValueError):
    """A path that cannot name a file: the message says which and why, `reason` only why."""

    def __init__(self, message: str, reason: str) -> None:
        super().__init__(message)
        self.reason = reason


def shown(text: str) -> str:
    """A path for a message: a NUL as `\\0`, and at most a line's worth of it."""
    text = text.replace("\0", "\\0")
    if len(text) <= _SHOWN_CHARACTERS:
        return text
    return f"{text[:_SHOWN_CHARACTERS - 20]}...{text[-17:]}"


def path_problem(text: str) -> str | None:
    """Why `text` cannot be a path on this system, or None if it can."""
    if "\0" in text:
        return "holds a NUL character, which no file name can contain"
    size = len(text.encode("utf-8", "surrogateescape"))
    if size >= MAX_PATH_BYTES:
        return f"is {size:,} bytes long; a path has fewer than {MAX_PATH_BYTES:,}"
    longest = max((len(part.encode("utf-8", "surrogateescape")) for part in text.split("/")), default=0)
    if longest > MAX_NAME_BYTES:
        return f"has a name of {longest:,} bytes; a file or folder name has at most {MAX_NAME_BYTES}"
    return None


def checked(text: str, what: str) -> Path:
    """`text` as a `Path`, or `BadPath` naming `what` it was ("the output folder")."""
    problem = path_problem(text)
    if problem is not None:
        raise BadPath(f"{what} `{shown(text)}` {problem}", problem)
    return Path(text)


def resolved(path: Path, what: str) -> Path:
    """`path.resolve()`, with a symlink loop or an unusable path as `BadPath`."""
    checked(str(path), what)
    try:
        return path.resolve()
    except (OSError, RuntimeError, ValueError) as failure:
        reason = failure.strerror if isinstance(failure, OSError) and failure.strerror else str(failure)
        if isinstance(failure, RuntimeError) or "loop" in reason.lower():
            reason = "it is a symlink loop"
        raise BadPath(f"{what} `{shown(str(path))}` cannot be resolved: {reason}", reason) from None
