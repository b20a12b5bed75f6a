"""The warehouse file operations: atomic publish with real DuckDB files."""

import duckdb

from pipeline.warehouse import publish


def make_db(path, value: int) -> None:
    with duckdb.connect(str(path)) as con:
        con.execute("CREATE OR REPLACE TABLE t AS SELECT ? AS v", [value])


def read_v(path) -> int:
    with duckdb.connect(str(path), read_only=True) as con:
        return con.execute("SELECT v FROM t").fetchone()[0]


def test_publish_replaces_the_snapshot_and_clears_a_killed_publish(tmp_path):
    work, published = tmp_path / "work.duckdb", tmp_path / "pub" / "roleprint.duckdb"
    make_db(work, 1)
    publish(work, published)
    assert read_v(published) == 1
    # what a publish killed between copy and rename leaves behind
    stale = published.with_name(f".{published.name}.99999.tmp")
    stale.write_bytes(b"half a copy")
    make_db(work, 2)
    publish(work, published)
    assert read_v(published) == 2
    assert sorted(p.name for p in published.parent.iterdir()) == ["roleprint.duckdb"]


def test_a_reader_keeps_its_snapshot_while_a_new_one_is_published(tmp_path):
    work, published = tmp_path / "work.duckdb", tmp_path / "roleprint.duckdb"
    make_db(work, 1)
    publish(work, published)
    with duckdb.connect(str(published), read_only=True) as reader:
        make_db(work, 2)
        publish(work, published)
        # the open connection still reads the file it opened, whole
        assert reader.execute("SELECT v FROM t").fetchone()[0] == 1
    assert read_v(published) == 2
