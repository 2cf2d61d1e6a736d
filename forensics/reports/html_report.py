"""One self-contained HTML file: styles inline, heatmaps as data: URIs, no script, and a
Content-Security-Policy that forbids loading anything. Jinja2 autoescape turns every piece
of evidence text into inert text (``<script>`` stays visible characters), and every printed
value has its bidirectional controls written out (``<U+202E>``), not applied."""

from __future__ import annotations

import base64
from pathlib import Path

from jinja2 import Environment, FileSystemLoader, select_autoescape
from markupsafe import Markup

from forensics.paths import resource_path
from forensics.reports.content import ReportData
from forensics.reports.executive import (
    CHANGE_COLUMNS, INCIDENT_COLUMNS, PAIR_COLUMNS, evidence_names, executive_summary,
)
from forensics.reports.sanitize import show_controls
from forensics.reports.formatting import (
    BOOKMARK_ROW_COLUMNS, bookmark_groups, display_tables, fmt_size, fmt_time, fmt_utc, skipped_rows,
)


def _environment() -> Environment:
    return Environment(
        loader=FileSystemLoader(str(resource_path("templates"))),
        autoescape=select_autoescape(enabled_extensions=("html", "j2"), default=True),
        trim_blocks=True,
        lstrip_blocks=True,
        finalize=_shown,
    )


def _shown(value: object) -> object:
    """Every ``{{ value }}``: evidence text with its bidi controls visible (markup the
    template marked safe is the template's own, left as it is)."""
    if isinstance(value, str) and not isinstance(value, Markup):
        return show_controls(value)
    return value


def render_html(data: ReportData) -> str:
    from forensics.query import resolve_tz

    tz = resolve_tz(data.display_tz)
    tables = display_tables(data, tz)
    template = _environment().get_template("report.html.j2")
    return template.render(
        d=data,
        css=resource_path("templates", "report.css").read_text(encoding="utf-8"),
        generated=f"{fmt_time(data.generated_utc, tz)} {data.display_tz} ({fmt_utc(data.generated_utc)})",
        time=lambda v: fmt_time(v, tz),
        size=fmt_size,
        b64=lambda raw: base64.b64encode(raw).decode("ascii"),
        findings_cols=tables["findings"][0], findings=tables["findings"][1],
        admin_cols=tables["admin"][0], admin=tables["admin"][1],
        groups=bookmark_groups(data.bookmarks, tz, evidence_names(data.evidence)), bookmark_row_cols=BOOKMARK_ROW_COLUMNS,
        ex=executive_summary(data, tz), ex_pair_cols=PAIR_COLUMNS, ex_change_cols=CHANGE_COLUMNS,
        ex_incident_cols=INCIDENT_COLUMNS,
        skipped=skipped_rows(data.evidence),
        event_cols=tables["events"][0], events=tables["events"][1],
    )


def write_html(data: ReportData, path: Path) -> None:
    path.write_text(render_html(data), encoding="utf-8")
