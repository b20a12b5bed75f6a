"""Responsibility extractors, chosen by name in the pipeline's config (ROLEPRINT_EXTRACTOR).

An extractor maps clean postings (the columns POSTING_COLUMNS) to responsibilities
(posting_id, batch_id, position, text, section, method); a later LLM-based backend registers
here and the assets pick it up by name.
"""

from __future__ import annotations

from collections.abc import Callable

import polars as pl

from pipeline.extract.rules import extract_responsibilities

#: The clean.postings columns an extractor is given (the stage reads no others: the rest of a
#: wide table would only be decompressed and dropped).
POSTING_COLUMNS = (
    "posting_id",
    "batch_id",
    "title",
    "description_text",
    "precomputed_responsibilities",
)

Extractor = Callable[[pl.DataFrame], pl.DataFrame]
EXTRACTORS: dict[str, Extractor] = {"rules": extract_responsibilities}


def get_extractor(name: str = "rules") -> Extractor:
    try:
        return EXTRACTORS[name]
    except KeyError:
        raise ValueError(
            f"unknown extractor {name!r}: choose one of {sorted(EXTRACTORS)}"
        ) from None
