"""Run a Python workflow with every network path blocked; any attempt fails the run.

Usage: ``python -m helpers.netblock MODULE:FUNCTION [ARGS...]``. The guard is installed
before anything else is imported, so a dependency that phones home at import time is
caught too. Blocked: creating AF_INET/AF_INET6 sockets, connect/create_connection, and DNS
look-ups (getaddrinfo, gethostbyname*, gethostbyaddr, getnameinfo). Local AF_UNIX sockets
(used by Qt and multiprocessing for IPC) stay allowed. Exit code 99 = network attempted.
"""

from __future__ import annotations

import importlib
import socket
import sys
import traceback

ATTEMPTS: list[str] = []
_RealSocket = socket.socket


def _record(what: str) -> None:
    ATTEMPTS.append(what)
    stack = "".join(traceback.format_stack(limit=12))
    sys.stderr.write(f"NETWORK ATTEMPT BLOCKED: {what}\n{stack}\n")


class _GuardedSocket(_RealSocket):
    def __init__(self, family: int = -1, type: int = -1, proto: int = -1, fileno: int | None = None) -> None:
        fam = socket.AF_INET if family == -1 else family
        if fileno is None and fam in (socket.AF_INET, socket.AF_INET6):
            _record(f"socket(family={fam})")
            raise OSError("network access is blocked in this test")
        super().__init__(family, type, proto, fileno)


def _blocked(name: str):
    def guard(*args, **kwargs):
        _record(f"{name}{args!r}")
        raise OSError(f"network access is blocked in this test ({name})")

    return guard


def install() -> None:
    socket.socket = _GuardedSocket  # type: ignore[misc]
    for name in ("create_connection", "getaddrinfo", "gethostbyname", "gethostbyname_ex",
                 "gethostbyaddr", "getnameinfo", "create_server", "getfqdn"):
        setattr(socket, name, _blocked(name))


def main(argv: list[str]) -> int:
    install()
    target, *args = argv
    module_name, _, func_name = target.partition(":")
    func = getattr(importlib.import_module(module_name), func_name)
    try:
        code = func(args)
    except SystemExit as exc:
        code = exc.code if isinstance(exc.code, int) else 1
    except Exception:  # noqa: BLE001 - report, then still judge by the attempts
        traceback.print_exc()
        code = 1
    if ATTEMPTS:
        sys.stderr.write(f"{len(ATTEMPTS)} network attempt(s): {ATTEMPTS}\n")
        return 99
    return int(code or 0)


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
