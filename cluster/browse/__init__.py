"""An HTML story browser of a results folder: one self-contained ``report.html`` (``newsdedup report``)."""

from cluster.browse.model import Limits
from cluster.browse.page import REPORT_NAME, ReportInfo, write_report

__all__ = ["REPORT_NAME", "Limits", "ReportInfo", "write_report"]
