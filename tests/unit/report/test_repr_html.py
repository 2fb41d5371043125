"""Profiles and validation reports render inline in Jupyter (``_repr_html_``)."""

from __future__ import annotations

import re


def _external(fragment: str) -> set[str]:
    return set(re.findall(r"https?://[^\"' ]+", fragment)) - {"http://www.w3.org/2000/svg"}


def test_a_profile_renders_every_feature_inline(profile):
    fragment = profile._repr_html_()
    assert fragment.startswith('<div class="dcr"') and "<html" not in fragment
    names = re.findall(r'<article [^>]*data-name="([^"]*)"', fragment)
    assert sorted(names) == sorted(profile.features)
    assert fragment.count('<svg class="dcr-chart"') == len(profile.features)
    assert not _external(fragment) and "src=" not in fragment


def test_a_validation_report_renders_its_verdict_and_anomalies_inline(validation):
    fragment = validation._repr_html_()
    assert '<span class="dcr-verdict fail">FAIL</span>' in fragment
    assert all(str(a.code) in fragment for a in validation.anomalies)
    assert not _external(fragment) and "src=" not in fragment
