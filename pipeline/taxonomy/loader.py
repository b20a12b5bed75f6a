"""Load and validate a versioned responsibility taxonomy from YAML.

A taxonomy file describes the problem categories a role's responsibilities are
grouped into, plus the regex patterns the rules-based classifier uses. The
loader turns it into frozen dataclasses and refuses a file that would make the
classifier misbehave: missing fields, duplicate ids, or patterns the Polars
(Rust) regex engine cannot compile. Every error names the file, the category
and the field at fault.
"""

from __future__ import annotations

import dataclasses
import functools
import hashlib
import math
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import polars as pl
import yaml

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

#: Category id used when no category of the taxonomy fits.
FALLBACK_CATEGORY = "other"

_DEFAULT_FILE = "ai_engineering.v1.yaml"
_MAX_ABS_WEIGHT = 10.0


class TaxonomyError(ValueError):
    """A taxonomy file is missing, malformed or fails validation."""


@dataclass(frozen=True)
class Pattern:
    """One regex cue. ``weight`` may be negative to damp a misleading context."""

    id: str
    regex: str
    weight: float


@dataclass(frozen=True)
class Subpattern:
    id: str
    name: str
    description: str
    patterns: tuple[Pattern, ...]
    #: Example responsibilities of this sub-pattern (used by the example-similarity signal).
    examples: tuple[str, ...] = ()


@dataclass(frozen=True)
class Category:
    id: str
    name: str
    problem: str
    what_people_do: tuple[str, ...]
    core_challenge: str
    patterns: tuple[Pattern, ...]
    examples: tuple[str, ...]
    subpatterns: tuple[Subpattern, ...]
    #: Multiplier of the category's raw score when the item has no AI context (see
    #: ``Taxonomy.ai_context``): below 1 for problems that only count when they concern AI.
    ai_context_factor: float = 1.0

    @property
    def all_patterns(self) -> tuple[Pattern, ...]:
        """Category-level patterns followed by every subpattern's patterns."""
        out = list(self.patterns)
        for sub in self.subpatterns:
            out.extend(sub.patterns)
        return tuple(out)

    @property
    def all_examples(self) -> tuple[tuple[str | None, str], ...]:
        """(sub-pattern id or None, text) for every example responsibility of the category:
        the category's own examples and ``what_people_do`` (sub-pattern None), then each
        sub-pattern's examples."""
        out: list[tuple[str | None, str]] = [(None, e) for e in self.examples]
        out.extend((None, w) for w in self.what_people_do)
        for sub in self.subpatterns:
            out.extend((sub.id, e) for e in sub.examples)
        return tuple(out)


@dataclass(frozen=True)
class Taxonomy:
    name: str
    version: str
    title: str
    role_noun: str
    role_types: dict[str, dict]
    categories: tuple[Category, ...]
    #: Regex that tells whether an item concerns AI at all (None: every item does).
    ai_context: str | None = None
    #: Pairs of categories the report's key insights set side by side, each with a title,
    #: e.g. ("Provider APIs versus self-hosting", ("provider_apis", "self_hosting")).
    comparisons: tuple[tuple[str, tuple[str, str]], ...] = ()
    #: sha256 of the file's text: an edit without a version bump still reclassifies
    content_hash: str = ""

    @property
    def category_ids(self) -> tuple[str, ...]:
        return tuple(c.id for c in self.categories)

    @property
    def label(self) -> str:
        return f"{self.name}@{self.version}"

    def get(self, category_id: str) -> Category:
        for cat in self.categories:
            if cat.id == category_id:
                return cat
        raise KeyError(f"unknown category {category_id!r} in taxonomy {self.label}")


def default_taxonomy_path() -> Path:
    """Path of the bundled AI-engineering taxonomy."""
    return Path(__file__).resolve().parent / _DEFAULT_FILE


def load_taxonomy(path: str | Path | None = None) -> Taxonomy:
    """Load, validate and return a taxonomy (the bundled one when ``path`` is None).

    A run loads the same file in several stages and checks; parsing and validating every
    pattern is the costly part, so the result is cached per file and modification time.
    """
    file = Path(path) if path is not None else default_taxonomy_path()
    try:
        mtime = file.stat().st_mtime_ns
    except FileNotFoundError as exc:
        raise TaxonomyError(f"{file}: taxonomy file not found") from exc
    return _load(file, mtime)


@functools.lru_cache(maxsize=8)
def _load(file: Path, mtime_ns: int) -> Taxonomy:  # noqa: ARG001 - mtime is part of the cache key
    try:
        text = file.read_text(encoding="utf-8")
        raw = yaml.safe_load(text)
    except FileNotFoundError as exc:
        raise TaxonomyError(f"{file}: taxonomy file not found") from exc
    except yaml.YAMLError as exc:
        raise TaxonomyError(f"{file}: invalid YAML: {exc}") from exc
    digest = hashlib.sha256(text.encode("utf-8")).hexdigest()[:16]
    return dataclasses.replace(_Parser(file).taxonomy(raw), content_hash=digest)


class _Parser:
    def __init__(self, file: Path) -> None:
        self.file = file
        self.pattern_ids: set[str] = set()
        self.subpattern_ids: set[str] = set()

    def fail(self, where: str, msg: str) -> TaxonomyError:
        return TaxonomyError(f"{self.file}: {where}: {msg}")

    def text(self, obj: dict, key: str, where: str) -> str:
        if key not in obj or obj[key] is None:
            raise self.fail(where, f"missing required field '{key}'")
        value = obj[key]
        if not isinstance(value, str) or not value.strip():
            raise self.fail(where, f"field '{key}' must be a non-empty string")
        return value.strip()

    def text_list(self, obj: dict, key: str, where: str, *, required: bool) -> tuple[str, ...]:
        value = obj.get(key)
        if value is None:
            if required:
                raise self.fail(where, f"missing required field '{key}'")
            return ()
        if not isinstance(value, list) or not all(isinstance(v, str) and v.strip() for v in value):
            raise self.fail(where, f"field '{key}' must be a list of non-empty strings")
        if required and not value:
            raise self.fail(where, f"field '{key}' must not be empty")
        return tuple(v.strip() for v in value)

    def taxonomy(self, raw: Any) -> Taxonomy:
        if not isinstance(raw, dict):
            raise self.fail("top level", "expected a mapping")
        name = self.text(raw, "taxonomy", "top level")
        version = raw.get("version")
        if version is None or not str(version).strip():
            raise self.fail("top level", "missing required field 'version'")
        title = self.text(raw, "title", "top level")
        role_noun = self.text(raw, "role_noun", "top level")
        role_types = self.role_types(raw.get("role_types"))
        cats_raw = raw.get("categories")
        if not isinstance(cats_raw, list) or not cats_raw:
            raise self.fail("top level", "field 'categories' must be a non-empty list")
        categories: list[Category] = []
        seen: set[str] = set()
        for i, c in enumerate(cats_raw):
            cid = c.get("id") if isinstance(c, dict) else None
            if isinstance(cid, str) and cid.strip() in seen:
                raise self.fail(f"category '{cid.strip()}'", "field 'id': duplicate category id")
            cat = self.category(c, i)
            seen.add(cat.id)
            categories.append(cat)
        ai_context = raw.get("ai_context")
        if ai_context is not None:
            ai_context = self.text(raw, "ai_context", "top level")
            self.check_regexes(
                [Pattern(id="ai_context", regex=ai_context, weight=1.0)], "top level"
            )
        comparisons = self.comparisons(raw.get("comparisons"), {c.id for c in categories})
        return Taxonomy(
            name=name,
            version=str(version).strip(),
            title=title,
            role_noun=role_noun,
            role_types=role_types,
            categories=tuple(categories),
            ai_context=ai_context,
            comparisons=comparisons,
        )

    def comparisons(
        self, raw: Any, category_ids: set[str]
    ) -> tuple[tuple[str, tuple[str, str]], ...]:
        if raw is None:
            return ()
        if not isinstance(raw, list):
            raise self.fail("top level", "field 'comparisons' must be a list")
        out = []
        for i, item in enumerate(raw):
            where = f"comparison #{i + 1}"
            if not isinstance(item, dict):
                raise self.fail(where, "expected a mapping with 'title' and 'categories'")
            title = self.text(item, "title", where)
            pair = item.get("categories")
            if not (
                isinstance(pair, list) and len(pair) == 2 and all(isinstance(c, str) for c in pair)
            ):
                raise self.fail(where, "field 'categories' must list exactly two category ids")
            unknown = [c for c in pair if c not in category_ids]
            if unknown:
                raise self.fail(where, f"unknown category id(s) {unknown}")
            out.append((title, (pair[0], pair[1])))
        return tuple(out)

    def role_types(self, raw: Any) -> dict[str, dict]:
        if raw is None:
            return {}
        if not isinstance(raw, dict):
            raise self.fail("role_types", "expected a mapping of id -> {name, description}")
        out: dict[str, dict] = {}
        for rid, spec in raw.items():
            where = f"role_type '{rid}'"
            if not isinstance(spec, dict):
                raise self.fail(where, "expected a mapping with 'name' and 'description'")
            out[str(rid)] = {
                "name": self.text(spec, "name", where),
                "description": self.text(spec, "description", where),
            }
        return out

    def category(self, raw: Any, index: int) -> Category:
        if not isinstance(raw, dict):
            raise self.fail(f"category #{index}", "expected a mapping")
        cid = self.text(raw, "id", f"category #{index}")
        where = f"category '{cid}'"
        patterns = self.patterns(raw.get("patterns"), where)
        subs_raw = raw.get("subpatterns") or []
        if not isinstance(subs_raw, list):
            raise self.fail(where, "field 'subpatterns' must be a list")
        subs = tuple(self.subpattern(s, where, j) for j, s in enumerate(subs_raw))
        # The fallback category only needs a name and a problem statement; every other
        # category must be fully described and carry at least one pattern.
        fallback = cid == FALLBACK_CATEGORY
        if not fallback and not patterns and not subs:
            raise self.fail(where, "missing required field 'patterns' (or 'subpatterns')")
        factor = raw.get("ai_context_factor", 1.0)
        if (
            isinstance(factor, bool)
            or not isinstance(factor, int | float)
            or not math.isfinite(float(factor))
            or not 0 < float(factor) <= 1
        ):
            raise self.fail(where, "field 'ai_context_factor' must be a number in (0, 1]")
        return Category(
            id=cid,
            name=self.text(raw, "name", where),
            problem=self.text(raw, "problem", where),
            what_people_do=self.text_list(raw, "what_people_do", where, required=not fallback),
            core_challenge=(
                str(raw.get("core_challenge") or "").strip()
                if fallback
                else self.text(raw, "core_challenge", where)
            ),
            patterns=patterns,
            examples=self.text_list(raw, "examples", where, required=False),
            subpatterns=subs,
            ai_context_factor=float(factor),
        )

    def subpattern(self, raw: Any, cat_where: str, index: int) -> Subpattern:
        if not isinstance(raw, dict):
            raise self.fail(f"{cat_where}, subpattern #{index}", "expected a mapping")
        sid = self.text(raw, "id", f"{cat_where}, subpattern #{index}")
        where = f"{cat_where}, subpattern '{sid}'"
        if sid in self.subpattern_ids:
            raise self.fail(where, "field 'id': duplicate subpattern id")
        self.subpattern_ids.add(sid)
        patterns = self.patterns(raw.get("patterns"), where)
        if not patterns:
            raise self.fail(where, "field 'patterns' must not be empty")
        return Subpattern(
            id=sid,
            name=self.text(raw, "name", where),
            description=self.text(raw, "description", where),
            patterns=patterns,
            examples=self.text_list(raw, "examples", where, required=False),
        )

    def patterns(self, raw: Any, where: str) -> tuple[Pattern, ...]:
        if raw is None:
            return ()
        if not isinstance(raw, list):
            raise self.fail(where, "field 'patterns' must be a list")
        out = []
        for k, p in enumerate(raw):
            if not isinstance(p, dict):
                raise self.fail(where, f"field 'patterns' item #{k}: expected a mapping")
            pid = self.text(p, "id", f"{where}, pattern #{k}")
            pwhere = f"{where}, pattern '{pid}'"
            if pid in self.pattern_ids:
                raise self.fail(pwhere, "field 'id': duplicate pattern id")
            self.pattern_ids.add(pid)
            regex = self.text(p, "regex", pwhere)
            weight = p.get("weight", 1.0)
            if isinstance(weight, bool) or not isinstance(weight, int | float):
                raise self.fail(pwhere, "field 'weight' must be a number")
            weight = float(weight)
            if not math.isfinite(weight) or weight == 0 or abs(weight) > _MAX_ABS_WEIGHT:
                raise self.fail(
                    pwhere, f"field 'weight' must be non-zero and within +/-{_MAX_ABS_WEIGHT}"
                )
            out.append(Pattern(id=pid, regex=regex, weight=weight))
        self.check_regexes(out, where)
        return tuple(out)

    def check_regexes(self, patterns: list[Pattern], where: str) -> None:
        """Every regex must compile with polars (the Rust regex engine the classifier uses).

        All patterns of a block are compiled in one query; only when that fails is each one
        compiled alone, to name the culprit.
        """
        if not patterns:
            return
        probe = pl.DataFrame({"x": ["x"]})
        try:
            probe.select(
                pl.col("x").str.contains(p.regex).alias(str(i)) for i, p in enumerate(patterns)
            )
            return
        except Exception:  # polars raises ComputeError for bad patterns
            pass
        for p in patterns:
            try:
                probe.select(pl.col("x").str.contains(p.regex))
            except Exception as exc:
                lines = str(exc).strip().splitlines()
                detail = " ".join(line.strip() for line in lines[:4])
                raise self.fail(
                    f"{where}, pattern '{p.id}'",
                    f"field 'regex' does not compile with polars: {detail}",
                ) from exc
