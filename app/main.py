"""GUI entry point: ``mailbox-audit-gui [FILES_OR_FOLDERS...]`` and ``python -m app``."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="mailbox-audit-gui", description="Mailbox Audit workbench (offline).")
    parser.add_argument("evidence", nargs="*", metavar="EVIDENCE", help="evidence files or folders to open")
    parser.add_argument("--case", metavar="DIR", help="case folder for the custody log (default: a session folder)")
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

    app = create_application([sys.argv[0], *qt_args])
    window = MainWindow(quiet=args.exit_after_load)
    if args.case:
        window.session.set_case_dir(args.case)
    window.show()
    status = {"code": 0}
    if args.exit_after_load:
        _exit_after_load(window, status)
    if args.evidence:
        def start() -> None:
            if not window.open_paths(args.evidence) and args.exit_after_load:
                status["code"] = 1
                app.quit()

        QTimer.singleShot(0, start)
    elif args.exit_after_load:
        QTimer.singleShot(0, app.quit)
    code = app.exec()
    return status["code"] or code


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
