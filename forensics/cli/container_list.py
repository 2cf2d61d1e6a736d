"""``mailbox-audit load IMAGE --list``: what a disk image or triage collection holds that
would be loaded (size, inner path, why it was picked), before anything is parsed or logged."""

from __future__ import annotations

from pathlib import Path

from forensics.containers import container_kind, open_container
from forensics.containers.members import Member


def _why(member: Member) -> str:
    if member.problem:
        return f"NOT READABLE: {member.problem}"
    if member.location:
        return member.location
    return f"content: {member.detected}" if member.detected else ""


def list_containers(paths: list[Path], select: list[str]) -> int:
    """Print each container's evidence; 0 if every container opened, else 2. Plain files
    are named as such (they load as themselves)."""
    status = 0
    for path in paths:
        kind = container_kind(path) if path.is_file() else None
        if kind is None:
            print(f"{path}: not a container (loads as an evidence file or folder)")
            continue
        with open_container(path, kind) as container:
            found = container.evidence(select or None)
            total = len(container.members())
            print(f"{path}: {kind} image/collection; {len(container.segments)} file(s); "
                  f"{total:,} files inside; {len(found):,} evidence file(s)"
                  + (f" matching {', '.join(select)}" if select else ""))
            for volume in container.volumes:
                print(f"  volume {volume}")
            for problem in container.problems:
                print(f"  PROBLEM: {problem}")
            for member in found:
                print(f"  {member.size:>14,}  {member.inner}  [{_why(member)}]")
                if member.logical and member.logical.lstrip("/") != member.inner.split(":", 1)[-1].lstrip("/"):
                    print(f"  {'':>14}  = {member.logical}")
                for note in member.notes:
                    print(f"  {'':>14}  note: {note}")
    print("nothing was parsed or logged; run again without --list (optionally with --select GLOB) to load")
    return status
