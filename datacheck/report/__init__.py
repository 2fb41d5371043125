"""HTML reports: a profile, its baseline, schema and validation as one self-contained page.

:func:`render_html` returns the page (or, for a notebook cell, a fragment); :func:`write_html`
writes it atomically. Charts are inline SVG drawn in Python, styles and the small sorting and
filtering script are inline too, so a report opens offline and requests nothing.
"""

from __future__ import annotations

from datacheck.report._html import render_html, write_html

__all__ = ["render_html", "write_html"]
