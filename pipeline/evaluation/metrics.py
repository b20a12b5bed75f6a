"""Evaluation metrics, as pure functions over plain Python values (see ../shared/EVALUATION.md).

- categories: micro-F1 of predicted label sets against {primary} + secondary, primary accuracy,
  per-category precision / recall / F1, confusion of primaries;
- extraction: one-to-one greedy matching (best score first) of extracted to reference items by
  rapidfuzz token_set_ratio on lower-cased, punctuation-stripped text, match at >= 70;
  recall averaged over postings, coverage, items per posting;
- role types: accuracy, macro-F1, per-class recall, confusion matrix.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass

from rapidfuzz import fuzz
from rapidfuzz.process import cdist

MATCH_THRESHOLD = 70
_PUNCT = re.compile(r"[^\w\s]")


def _f1(p: float, r: float) -> float:
    return 2 * p * r / (p + r) if p + r else 0.0


def _prf(tp: int, fp: int, fn: int) -> dict[str, float]:
    p = tp / (tp + fp) if tp + fp else 0.0
    r = tp / (tp + fn) if tp + fn else 0.0
    return {"precision": p, "recall": r, "f1": _f1(p, r), "support": tp + fn}


def category_metrics(
    gold: Sequence[tuple[str, Sequence[str]]], predicted: Sequence[Sequence[str]]
) -> dict:
    """gold: (primary, secondaries) per item; predicted: labels per item, best first."""
    if len(gold) != len(predicted):
        raise ValueError(f"{len(gold)} gold items but {len(predicted)} predictions")
    tp: Counter = Counter()
    fp: Counter = Counter()
    fn: Counter = Counter()
    confusion: Counter = Counter()
    primary_hits = 0
    for (primary, secondary), labels in zip(gold, predicted, strict=True):
        truth = {primary, *secondary}
        pred = set(labels)
        for label in pred & truth:
            tp[label] += 1
        for label in pred - truth:
            fp[label] += 1
        for label in truth - pred:
            fn[label] += 1
        first = labels[0] if labels else "other"
        primary_hits += first == primary
        confusion[(primary, first)] += 1
    total_tp, total_fp, total_fn = sum(tp.values()), sum(fp.values()), sum(fn.values())
    labels = sorted(set(tp) | set(fp) | set(fn))
    return {
        "items": len(gold),
        "micro": _prf(total_tp, total_fp, total_fn),
        "primary_accuracy": primary_hits / len(gold) if gold else 0.0,
        "per_category": {label: _prf(tp[label], fp[label], fn[label]) for label in labels},
        "primary_confusions": [
            {"gold": g, "predicted": p, "count": n}
            for (g, p), n in sorted(confusion.items(), key=lambda kv: (-kv[1], kv[0]))
            if g != p
        ],
    }


def normalise_for_matching(text: str) -> str:
    return " ".join(_PUNCT.sub(" ", text.lower()).split())


def match_items(
    extracted: Sequence[str], reference: Sequence[str], threshold: int = MATCH_THRESHOLD
) -> list[tuple[int, int, float]]:
    """One-to-one greedy matches (extracted index, reference index, score), best score first."""
    if not extracted or not reference:
        return []
    ext = [normalise_for_matching(t) for t in extracted]
    ref = [normalise_for_matching(t) for t in reference]
    scores = cdist(ext, ref, scorer=fuzz.token_set_ratio)
    candidates = sorted(
        (
            (float(scores[i][j]), i, j)
            for i in range(len(ext))
            for j in range(len(ref))
            if scores[i][j] >= threshold
        ),
        key=lambda c: (-c[0], c[1], c[2]),
    )
    used_e, used_r, matches = set(), set(), []
    for score, i, j in candidates:
        if i not in used_e and j not in used_r:
            used_e.add(i)
            used_r.add(j)
            matches.append((i, j, score))
    return matches


@dataclass(frozen=True)
class PostingMatch:
    posting_id: str
    extracted: int
    reference: int
    matched: int


def extraction_metrics(pairs: dict[str, tuple[Sequence[str], Sequence[str]]]) -> dict:
    """pairs: posting id -> (extracted items, reference items), for postings with reference items."""
    per_posting = []
    for posting_id in sorted(pairs):
        extracted, reference = pairs[posting_id]
        if not reference:
            continue
        per_posting.append(
            PostingMatch(
                posting_id, len(extracted), len(reference), len(match_items(extracted, reference))
            )
        )
    n = len(per_posting)
    if n == 0:
        return {"postings": 0}
    return {
        "postings": n,
        "recall": sum(p.matched / p.reference for p in per_posting) / n,
        "coverage": sum(p.extracted > 0 for p in per_posting) / n,
        "items_per_posting": sum(p.extracted for p in per_posting) / n,
        "reference_items_per_posting": sum(p.reference for p in per_posting) / n,
        "precision_proxy": sum(p.matched for p in per_posting)
        / max(1, sum(p.extracted for p in per_posting)),
        "worst": [
            p.__dict__
            for p in sorted(per_posting, key=lambda p: (p.matched / p.reference, p.posting_id))[:20]
        ],
    }


def role_type_metrics(
    truth: Sequence[str],
    predicted: Sequence[str],
    classes: Sequence[str] = ("ai-first", "ai-support", "ml-first"),
) -> dict:
    """Over items whose reference is one of `classes` (the reference's `unknown` is left out)."""
    pairs = [(t, p) for t, p in zip(truth, predicted, strict=True) if t in classes]
    if not pairs:
        return {"postings": 0}
    per_class = {}
    for c in classes:
        tp = sum(t == c and p == c for t, p in pairs)
        fp = sum(t != c and p == c for t, p in pairs)
        fn = sum(t == c and p != c for t, p in pairs)
        per_class[c] = _prf(tp, fp, fn)
    confusion = Counter(pairs)
    predicted_labels = sorted({p for _, p in pairs} | set(classes))
    return {
        "postings": len(pairs),
        "accuracy": sum(t == p for t, p in pairs) / len(pairs),
        "macro_f1": sum(m["f1"] for m in per_class.values()) / len(classes),
        "per_class": per_class,
        "confusion": {t: {p: confusion[(t, p)] for p in predicted_labels} for t in classes},
    }
