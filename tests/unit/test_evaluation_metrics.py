"""Evaluation metrics on small literal cases computed by hand."""

import pytest

from pipeline.evaluation.metrics import (
    category_metrics,
    extraction_metrics,
    match_items,
    role_type_metrics,
)


def test_category_micro_f1_and_primary_accuracy():
    gold = [("agents", []), ("rag_retrieval", ["data_processing"]), ("other", [])]
    predicted = [["agents", "building_ai_systems"], ["data_processing"], []]
    m = category_metrics(gold, predicted)
    # tp: agents, data_processing = 2; fp: building_ai_systems = 1; fn: rag_retrieval, other = 2
    assert m["micro"]["precision"] == pytest.approx(2 / 3)
    assert m["micro"]["recall"] == pytest.approx(2 / 4)
    assert m["primary_accuracy"] == pytest.approx(2 / 3)  # empty prediction counts as "other"
    assert m["primary_confusions"] == [
        {"gold": "rag_retrieval", "predicted": "data_processing", "count": 1}
    ]


def test_matching_is_one_to_one_and_greedy():
    extracted = ["Build RAG pipelines.", "build rag pipelines for search", "Free lunch"]
    reference = ["Build RAG pipelines for search"]
    matches = match_items(extracted, reference)
    assert len(matches) == 1 and matches[0][1] == 0


def test_extraction_recall_coverage_and_items():
    pairs = {
        "a": (
            ["Deploy models to production", "Mentor engineers"],
            ["Deploy models into production", "Write docs"],
        ),
        "b": ([], ["Own the roadmap"]),
        "c": (["x"], []),  # no reference items: not scored
    }
    m = extraction_metrics(pairs)
    assert m["postings"] == 2
    assert m["recall"] == pytest.approx((1 / 2 + 0) / 2)
    assert m["coverage"] == pytest.approx(0.5)
    assert m["items_per_posting"] == pytest.approx(1.0)


def test_role_type_metrics_leave_out_unknown_references():
    truth = ["ai-first", "ai-first", "ml-first", "ai-support", "unknown"]
    pred = ["ai-first", "ai-support", "ml-first", "ai-support", "ai-first"]
    m = role_type_metrics(truth, pred)
    assert m["postings"] == 4 and m["accuracy"] == pytest.approx(0.75)
    assert m["per_class"]["ml-first"]["recall"] == 1.0
    assert m["confusion"]["ai-first"] == {"ai-first": 1, "ai-support": 1, "ml-first": 0}


def test_targets_and_floors_name_the_figures_below_them():
    from pipeline.evaluation.run import FLOORS, TARGETS, check_targets

    result = {
        "categories": {"micro": {"f1": 0.845}, "primary_accuracy": 0.8},
        "batches": [
            {
                "postings_dir": "/d/2026-02-04/postings",
                "extraction": {"recall": 0.9, "coverage": 0.99},
                "role_types": {"accuracy": 0.9, "macro_f1": 0.8, "ml_first_recall": 0.4},
            }
        ],
    }
    assert check_targets(result, TARGETS) == [
        "categories micro_f1 0.845 < 0.85",
        "2026-02-04: role types ml_first_recall 0.400 < 0.5",
    ]
    result["categories"]["primary_accuracy"] = 0.78  # above its target, below its floor
    assert check_targets(result, FLOORS) == [
        "categories micro_f1 0.845 < 0.85",
        "categories primary_accuracy 0.780 < 0.79",
        "2026-02-04: role types ml_first_recall 0.400 < 0.5",
    ]
    assert FLOORS.keys() == TARGETS.keys()


def test_quality_figures_are_one_row_per_headline_figure():
    from pipeline.evaluation.run import TARGETS, quality_figures

    result = {
        "categories": {
            "gold": "/x/dev.jsonl",
            "items": 300,
            "micro": {"f1": 0.86},
            "primary_accuracy": 0.8,
        },
        "batches": [
            {
                "postings_dir": "/d/2026-02-04/postings",
                "extraction": {"postings": 50, "recall": 0.9, "coverage": 0.99},
                "role_types": {
                    "postings": 49,
                    "accuracy": 0.9,
                    "macro_f1": 0.8,
                    "ml_first_recall": 0.5,
                },
            }
        ],
    }
    rows = quality_figures(result)
    assert {r["metric"] for r in rows} == set(TARGETS)
    assert rows[0] == {
        "dataset": "dev.jsonl",
        "metric": "categories.micro_f1",
        "value": 0.86,
        "items": 300,
    }
    assert {
        "dataset": "2026-02-04",
        "metric": "role_types.macro_f1",
        "value": 0.8,
        "items": 49,
    } in rows
