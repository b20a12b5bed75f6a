"""Responsibility extractors. The pipeline names one by config (ROLEPRINT_EXTRACTOR)."""

from __future__ import annotations

from collections.abc import Callable

import polars as pl

from pipeline.extract.rules import extract_responsibilities

Extractor = Callable[[pl.DataFrame], pl.DataFrame]
EXTRACTORS: dict[str, Extractor] = {"rules": extract_responsibilities}


def get_extractor(name: str = "rules") -> Extractor:
    try:
        return EXTRACTORS[name]
    except KeyError:
        raise ValueError(
            f"unknown extractor {name!r}: choose one of {sorted(EXTRACTORS)}"
        ) from None
