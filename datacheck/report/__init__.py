"""HTML reports: a profile, its baseline, schema and validation as one self-contained page.

:func:`render_html` returns the page (or, for a notebook cell, a fragment); :func:`write_html`
writes it atomically. Charts are inline SVG drawn in Python, styles and the small sorting and
filtering script are inline too, so a report opens offline and requests nothing.
:func:`measurement_status` says whether a measured distance counts towards the verdict
(``OVER``), warns, or is there for information, for the page and the command's text alike.
"""

from __future__ import annotations

from datacheck.report._html import render_html, write_html
from datacheck.report._status import MeasurementStatus, measurement_status, status_counts

__all__ = ["MeasurementStatus", "measurement_status", "render_html", "status_counts", "write_html"]
