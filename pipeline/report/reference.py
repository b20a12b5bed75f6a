"""Compare the computed frequency bands with those of a hand-written reference report.

The reference is Markdown in the layout roleprint's own report uses: a `## <Band>` heading
("Very Common", "Common", "Uncommon", "Rare") followed by one `### <Category name>` heading per
category in that band. Any other `##` heading ends the band. Pure functions: text in, rows out.
"""

from __future__ import annotations

import re
from typing import Any

_BAND_HEADINGS = {
    "very common": "very_common",
    "common": "common",
    "uncommon": "uncommon",
    "rare": "rare",
}
BAND_ORDER = ("very_common", "common", "uncommon", "rare")


def name_key(name: str) -> str:
    """Case- and punctuation-insensitive key: 'Fine-tuning Models' == 'fine_tuning models'."""
    return " ".join(re.sub(r"[^0-9a-z]+", " ", name.lower()).split())


def reference_bands(markdown_text: str) -> dict[str, str]:
    """Category heading -> band, in the reference's order."""
    bands: dict[str, str] = {}
    band = None
    for line in markdown_text.splitlines():
        if line.startswith("## "):
            band = _BAND_HEADINGS.get(name_key(line[3:]))
        elif line.startswith("### ") and band:
            bands[line[4:].strip()] = band
    return bands


def band_range(band: str, thresholds: dict[str, float]) -> tuple[float, float]:
    """The shares [low, high) a band covers under the report's thresholds."""
    vc, c, u = (
        thresholds["band_very_common"],
        thresholds["band_common"],
        thresholds["band_uncommon"],
    )
    return {
        "very_common": (vc, 1.0 + 1e-9),
        "common": (c, vc),
        "uncommon": (u, c),
        "rare": (0.0, u),
    }[band]


def compare_bands(
    categories: list[dict[str, Any]], reference: dict[str, str], thresholds: dict[str, float]
) -> list[dict[str, Any]]:
    """One row per category in either report: both bands and whether they agree.

    `status`: `same`, `differs`, `not in reference` or `not in taxonomy`. For a difference,
    `reference_band_in_interval` says whether the reference's band is still consistent with
    the computed share's 95% interval (the interval reaches into that band's range), i.e.
    whether the data can tell the two apart.
    """
    by_key = {name_key(name): (name, band) for name, band in reference.items()}
    rows, matched = [], set()
    for c in categories:
        if c["category"] == "other":
            continue
        key = next(
            (k for k in (name_key(c["category_name"]), name_key(c["category"])) if k in by_key),
            None,
        )
        ref_name, ref_band = by_key[key] if key else (None, None)
        if key:
            matched.add(key)
        in_interval = None
        if ref_band and ref_band != c["band"] and c["wilson_low"] is not None:
            low, high = band_range(ref_band, thresholds)
            in_interval = c["wilson_low"] < high and c["wilson_high"] >= low
        rows.append(
            {
                "category": c["category"],
                "category_name": c["category_name"],
                "reference_name": ref_name,
                "band": c["band"],
                "reference_band": ref_band,
                "share_of_roles": c["share_of_roles"],
                "wilson_low": c["wilson_low"],
                "wilson_high": c["wilson_high"],
                "status": "not in reference"
                if ref_band is None
                else ("same" if ref_band == c["band"] else "differs"),
                "reference_band_in_interval": in_interval,
            }
        )
    for key, (name, band) in by_key.items():
        if key not in matched:
            rows.append(
                {
                    "category": None,
                    "category_name": None,
                    "reference_name": name,
                    "band": None,
                    "reference_band": band,
                    "share_of_roles": None,
                    "wilson_low": None,
                    "wilson_high": None,
                    "status": "not in taxonomy",
                    "reference_band_in_interval": None,
                }
            )
    return rows
