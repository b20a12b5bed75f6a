"""Classifier backends, chosen by name in the pipeline's config.

A backend is a function with the signature of the rules one; a later LLM- or embedding-based
backend registers here and the assets pick it up by name, unchanged:
- category classifiers: (responsibilities frame, taxonomy) -> labels frame
  (posting_id, position, category, subpattern, rank, score, classifier, evidence);
- role-type classifiers: (clean postings frame, labels frame) -> role types frame
  (posting_id, batch_id, role_type, score, method, reason); they are given the columns
  ROLE_TYPE_POSTING_COLUMNS and ROLE_TYPE_LABEL_COLUMNS, and the labels ROLE_TYPE_LABELS
  selects.
"""

from __future__ import annotations

from collections.abc import Callable

import polars as pl

from pipeline.classify.categories import classify_responsibilities
from pipeline.classify.role_types import role_types
from pipeline.taxonomy import Taxonomy

#: The clean.postings and clean.responsibility_labels columns a role-type classifier is given
#: (the stage reads no others: a million postings' labels carry 21M evidence strings).
ROLE_TYPE_POSTING_COLUMNS = (
    "posting_id",
    "batch_id",
    "title",
    "description_text",
    "precomputed_role_type",
)
ROLE_TYPE_LABEL_COLUMNS = (
    "posting_id",
    "batch_id",
    "position",
    "category",
    "subpattern",
    "rank",
    "score",
)
#: The labels a role-type classifier is given (an SQL condition on clean.responsibility_labels):
#: each responsibility's primary label. The rules classifier reads no other, and the others
#: are most of the table (a million postings: 21.1M label rows, 11.4M primary).
ROLE_TYPE_LABELS = "rank = 1"

CategoryClassifier = Callable[[pl.DataFrame, Taxonomy], pl.DataFrame]
RoleTypeClassifier = Callable[[pl.DataFrame, pl.DataFrame], pl.DataFrame]

CATEGORY_CLASSIFIERS: dict[str, CategoryClassifier] = {"rules": classify_responsibilities}
ROLE_TYPE_CLASSIFIERS: dict[str, RoleTypeClassifier] = {"rules": role_types}


def _pick(registry: dict, kind: str, name: str):
    try:
        return registry[name]
    except KeyError:
        raise ValueError(f"unknown {kind} {name!r}: choose one of {sorted(registry)}") from None


def get_category_classifier(name: str = "rules") -> CategoryClassifier:
    return _pick(CATEGORY_CLASSIFIERS, "category classifier", name)


def get_role_type_classifier(name: str = "rules") -> RoleTypeClassifier:
    return _pick(ROLE_TYPE_CLASSIFIERS, "role-type classifier", name)
