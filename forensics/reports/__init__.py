"""Court-ready reports (HTML, PDF, XLSX, CSV) rendered from one gathered ``ReportData``."""

from forensics.reports.content import DEFAULT_EVENT_CAP, ReportData, build_report
from forensics.reports.export import FORMATS, ExportResult, export_report

__all__ = ["DEFAULT_EVENT_CAP", "FORMATS", "ExportResult", "ReportData", "build_report", "export_report"]
