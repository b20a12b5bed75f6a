"""Duplicate flags recomputed for the changed postings and their groups only equal the flags
of a pass over every posting, through new batches, an edited posting that bridged a group,
a removed canonical posting, an earlier batch loaded late and a change of the dedup setting."""

import duckdb
import polars as pl
import pytest

from pipeline import warehouse
from pipeline.text.clean import clean_batch
from pipeline.text.dedup import posting_bands


def text(seed: int, edits: tuple[int, ...] = ()) -> str:
    """A text of 240 distinct words (238 word 3-shingles). Each edit, far from the others,
    replaces one word and so 3 shingles: 2 edits leave a shingle similarity of 0.95, 3 of
    0.93, 5 of 0.88, below the 0.9 near-duplicate threshold."""
    words = [f"w{seed}x{i}" for i in range(240)]
    for at in edits:
        words[at] = f"edited{at}"
    return " ".join(words) + "."


def load(con, batch_id: str, postings: dict[str, tuple[str, str]]) -> None:
    """Insert (or replace) raw postings {posting_id: (title, description)} and normalise them
    as the clean_postings asset does."""
    raw = pl.DataFrame(
        [
            {
                "posting_id": pid,
                "source": "test",
                "source_uri": f"test/{pid}.json",
                "batch_id": batch_id,
                "title": title,
                "description_raw": body,
                "description_format": "text",
                "raw_hash": f"{batch_id}-{pid}-{hash(body)}",
            }
            for pid, (title, body) in postings.items()
        ]
    ).with_columns(
        ingested_at=pl.lit("2026-11-01 00:00:00").str.to_datetime(),
        precomputed_responsibilities=pl.lit(None, pl.List(pl.String)),
    )
    cols = ", ".join(raw.columns)
    con.execute(f"INSERT OR REPLACE INTO raw.postings ({cols}) SELECT {cols} FROM raw")
    warehouse.drop_orphans(con)
    keys = raw.select("batch_id", "posting_id", "raw_hash")
    clean = clean_batch(warehouse.read_postings(con, "raw.postings", keys))
    signed = clean.filter(pl.col("signature").is_not_null())
    extra = {"clean.posting_signatures": signed, "clean.posting_bands": posting_bands(signed)}
    warehouse.write_stage(con, "normalise", keys, clean, "fp", "run", extra=extra)


def flags(con) -> dict[str, tuple]:
    rows = con.execute(
        """SELECT batch_id || '/' || posting_id, duplicate_of_batch_id || '/' || duplicate_of,
                  duplicate_reason, is_analysed
           FROM clean.postings"""
    ).fetchall()
    return {key: tuple(rest) for key, *rest in rows}


def check_against_a_full_pass(con, dedup: bool = True) -> dict[str, tuple]:
    run = warehouse.assign_duplicates(con, dedup=dedup)
    assert run["mode"] == "incremental"
    incremental = flags(con)
    con.execute("DELETE FROM meta.dedup_runs")  # forget the state: the next pass reads all
    full = warehouse.assign_duplicates(con, dedup=dedup)
    assert full["mode"] == "full"
    assert full["flags_changed"] == 0
    assert flags(con) == incremental
    assert run["examined"] < full["examined"]
    return incremental


@pytest.fixture
def con(tmp_path):
    with duckdb.connect(str(tmp_path / "w.duckdb")) as con:
        warehouse.ensure_tables(con)
        yield con


def test_incremental_duplicate_flags_equal_a_pass_over_every_posting(con):
    load(
        con,
        "b1",
        {
            "a": ("AI Engineer", text(1)),
            "a1": ("AI Engineer", text(1, (20, 60))),  # near a
            "a2": ("AI Engineer", text(1, (20, 60, 100, 140, 180))),  # near a1 only
            "a3": ("Data Scientist", text(1)),  # exact copy of a, another title
            "b": ("ML Engineer", text(2)),
            "c": ("Platform Engineer", text(3)),
            "d": ("Analyst", text(4)),
        },
    )
    first = warehouse.assign_duplicates(con, dedup=True)
    assert first["mode"] == "full"
    found = flags(con)
    assert found["b1/a1"][0] == "b1/a"
    assert found["b1/a2"][1] == "near-duplicate (through a repost)"
    assert found["b1/a3"][:2] == ("b1/a", "exact")
    # the later stages write every posting of the first load: no reason to re-examine them
    typed = con.execute("SELECT batch_id, posting_id, raw_hash FROM clean.postings").pl()
    output = typed.select("posting_id", "batch_id", role_type=pl.lit("ai-first"), score=pl.lit(0.9))
    output = output.with_columns(method=pl.lit("rules"), reason=pl.lit("test"))
    warehouse.write_stage(con, "role_types", typed, output, "fp", "run")

    # a new batch: a near copy of b, an exact copy of c under another title, a new posting
    load(
        con,
        "b2",
        {
            "b": ("ML Engineer", text(2, (5,))),
            "c": ("Staff Engineer", text(3)),
            "e": ("AI Engineer", text(5)),
        },
    )
    found = check_against_a_full_pass(con)
    assert found["b2/b"][0] == "b1/b" and found["b2/c"] == ("b1/c", "exact", False)
    assert found["b2/e"][0] is None

    # the bridge a1 is edited beyond recognition: a2 is no longer anyone's duplicate
    load(con, "b1", {"a1": ("AI Engineer", text(9))})
    found = check_against_a_full_pass(con)
    assert found["b1/a1"][0] is None and found["b1/a2"][0] is None

    # the canonical posting a is withdrawn: its exact copy a3 stands alone
    con.execute("DELETE FROM raw.postings WHERE batch_id = 'b1' AND posting_id = 'a'")
    warehouse.drop_orphans(con)
    found = check_against_a_full_pass(con)
    assert "b1/a" not in found and found["b1/a3"][0] is None

    # an earlier batch loaded late holds the first copy of d: it becomes the canonical one
    load(con, "b0", {"d": ("Analyst", text(4))})
    found = check_against_a_full_pass(con)
    assert found["b1/d"] == ("b0/d", "exact", False)

    # dedup switched off: duplicates stay flagged but are analysed
    load(con, "b3", {"f": ("AI Engineer", text(6))})
    found = check_against_a_full_pass(con, dedup=False)
    assert found["b1/d"] == ("b0/d", "exact", True)


def test_a_warehouse_from_before_the_band_rows_gets_them_and_a_full_pass(con):
    load(con, "b1", {"a": ("AI Engineer", text(1)), "a1": ("AI Engineer", text(1, (7,)))})
    assert warehouse.assign_duplicates(con, dedup=True)["mode"] == "full"
    load(con, "b2", {"c": ("AI Engineer", text(3))})
    con.execute("DROP TABLE clean.posting_bands")
    warehouse.ensure_tables(con)
    run = warehouse.assign_duplicates(con, dedup=True)
    assert run["mode"] == "full"
    assert con.execute("SELECT count(*) FROM clean.posting_bands").fetchone()[0] == 24
    assert flags(con)["b1/a1"][0] == "b1/a"
