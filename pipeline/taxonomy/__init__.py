"""Versioned responsibility taxonomies (YAML) and their loader."""

from pipeline.taxonomy.loader import (
    FALLBACK_CATEGORY,
    Category,
    Pattern,
    Subpattern,
    Taxonomy,
    TaxonomyError,
    default_taxonomy_path,
    load_taxonomy,
)

__all__ = [
    "FALLBACK_CATEGORY",
    "Category",
    "Pattern",
    "Subpattern",
    "Taxonomy",
    "TaxonomyError",
    "default_taxonomy_path",
    "load_taxonomy",
]
