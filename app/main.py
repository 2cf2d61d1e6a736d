"""GUI entry point: ``mailbox-audit-gui [--case DIR] [FILES_OR_FOLDERS...]`` and ``python -m app``.

``--case DIR`` opens the case in DIR (its evidence is reloaded and re-verified, each file with
the options recorded for it) before any EVIDENCE given is opened into it; a DIR without a
case.json only holds the custody log, as before.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="mailbox-audit-gui", description="Mailbox Audit workbench (offline).")
    parser.add_argument("evidence", nargs="*", metavar="EVIDENCE", help="evidence files or folders to open")
    parser.add_argument("--case", metavar="DIR",
                        help="open the case in DIR and load its evidence; a folder without a case holds only the "
                             "custody log (default: a session folder)")
    parser.add_argument("--source-tz", metavar="ZONE", help="zone of local-time exports (e.g. +02:00, Europe/Berlin)")
    parser.add_argument("--identities", metavar="CSV", help="directory export linking identities")
    parser.add_argument("--maps", metavar="DIR", help="extra event-map folder (searched first)")
    parser.add_argument("--all-events", action="store_true", help="also keep non-access events as generic rows")
    parser.add_argument(
        "--exit-after-load",
        action="store_true",
        help="load the evidence, print a one-line summary and quit (smoke test of an install)",
    )
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args_list = list(sys.argv[1:] if argv is None else argv)
    args, qt_args = build_parser().parse_known_args(args_list)

    from PySide6.QtCore import QTimer

    from app.application import create_application
    from app.main_window import MainWindow

    options = _load_options(args)  # a bad option fails before any window appears
    app = create_application([sys.argv[0], *qt_args])
    try:
        window = MainWindow(quiet=args.exit_after_load)
    except Exception as exc:  # noqa: BLE001 - no window to keep running: say why and stop
        import logging
        import traceback

        logging.getLogger("app").error("the main window could not be built\n%s", traceback.format_exc())
        print(f"mailbox-audit-gui: error: the main window could not be built: {type(exc).__name__}: {exc}",
              file=sys.stderr)
        if not args.exit_after_load:
            from app.dialogs.messages import show_error

            show_error(None, "Mailbox Audit cannot start", f"{type(exc).__name__}: {exc}", traceback.format_exc())
        return 1
    window.session.load_options = options
    from forensics.case import Case

    open_case = bool(args.case) and Case.is_case(args.case)
    if args.case and not open_case:
        window.session.set_case_dir(args.case)
    window.show()
    status = {"code": 0}
    if args.exit_after_load:
        _exit_after_load(window, status)

    def start() -> None:
        if not args.evidence:
            if args.exit_after_load:
                app.quit()
            return
        if not window.open_paths(args.evidence) and args.exit_after_load:
            status["code"] = 1
            app.quit()

    if open_case:
        QTimer.singleShot(0, lambda: _open_case(window, args.case, start, status))
    elif args.evidence or args.exit_after_load:
        QTimer.singleShot(0, start)
    code = app.exec()
    return status["code"] or code


def _load_options(args: argparse.Namespace):  # type: ignore[no-untyped-def]
    from pathlib import Path

    from app.dialogs.load_options import validate
    from forensics.parsers.base import LoadOptions

    options = LoadOptions(
        all_events=args.all_events,
        source_tz=args.source_tz,
        identities=Path(args.identities) if args.identities else None,
        maps_dir=Path(args.maps) if args.maps else None,
    )
    problem = validate(options)
    if problem:
        raise SystemExit(f"mailbox-audit-gui: error: {problem}")
    return options


def _open_case(window: "MainWindow", folder: str, then, status: dict[str, int]) -> None:  # type: ignore[name-defined,no-untyped-def]  # noqa: F821
    """Open the case (its evidence reloads on a worker thread), then run ``then``."""
    task = window.cases.open_case(folder)
    if task is None:  # not openable: the controller said why
        status["code"] = 1
        if window.quiet:
            from PySide6.QtWidgets import QApplication

            QApplication.quit()
        return

    def loaded(value: object) -> None:
        if window.quiet:
            session = window.session
            failed = [f for f in session.files if f.status == "failed"]
            problems = getattr(value, "problems", [])
            print(f"case {window.cases.case.name if window.cases.case else folder}: {len(session.frame):,} rows "
                  f"from {len(session.files) - len(failed)} file(s); {len(failed)} failed; "
                  f"{len(problems)} evidence problem(s)")
            if failed or problems:
                status["code"] = 1
        then()

    def failed(message: str) -> None:
        status["code"] = 1
        if window.quiet:
            print(f"mailbox-audit-gui: error: {message}", file=sys.stderr)
            from PySide6.QtWidgets import QApplication

            QApplication.quit()

    task.done.connect(loaded)
    task.error.connect(failed)


def _exit_after_load(window: "MainWindow", status: dict[str, int]) -> None:  # type: ignore[name-defined]  # noqa: F821
    from PySide6.QtWidgets import QApplication

    session = window.session

    def finished(result: object) -> None:
        files = session.files
        failed = [f for f in files if f.status == "failed"]
        print(f"loaded {len(session.frame):,} rows from {len(files) - len(failed)} file(s); {len(failed)} failed")
        status["code"] = 1 if failed else 0

    def failed(message: str) -> None:
        print(f"mailbox-audit-gui: error: {message}", file=sys.stderr)
        status["code"] = 1

    session.loader.finished.connect(finished)
    session.loader.failed.connect(failed)
    session.loader.idle.connect(lambda: (window.close(), QApplication.quit()))


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
