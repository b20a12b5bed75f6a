"""Rules extractor: find the responsibilities section(s) of a posting and split them into items.

Works on the normalised text, one row per line (Polars `explode`), so no Python loop runs per
posting:
1. classify every line: blank, bullet (with its depth), heading, or text;
2. a heading that names a kind of section (duties, qualifications, benefits, company...) opens
   that section until the next recognised heading; unrecognised headings change nothing;
3. bullets in a duties section are items; so are the sentences of a duties section without
   bullets;
4. a posting with no duties section falls back to sentences that state duties
   ("you will...", "responsible for...") outside qualification/benefit sections.
"""

from __future__ import annotations

import polars as pl

from pipeline.text.normalise import BULLET

METHOD = "rules"

# Heading vocabularies, matched against a heading's text (lower-cased, without markup).
DUTIES = (
    r"responsibilit|what (you'll|you will|you would|you'd) (do|be doing|work on|own|build|achieve|tackle)"
    r"|what you('ll| will)? do\b|in this role|your (impact|role|mission|day|work|responsibilities|contributions)"
    r"|^the (job|role|work)\b|key (duties|tasks|accountabilities)|^duties|accountabilities|day[- ]to[- ]day"
    r"|what the job involves|what we need you to do|^(the )?opportunity|^tasks|you will\b|^role overview"
    r"|^job (description|duties|summary)|how you('ll| will) (contribute|make an impact)|^impact|^mission"
    r"|aufgaben|^missions|responsabilit|^tus funciones|^vos missions|^deine rolle"
)
QUALIFICATIONS = (
    r"qualif|requirement|what (you|we)('ll| will)? (bring|have|need|look)|who you are|you (have|bring|are|might)"
    r"|skills|experience|ideal candidate|nice to have|preferred|bonus|must[- ]have|about you|looking for"
    r"|you should|minimum|basic|competenc|profile|dein profil|ihr profil|was du mitbringst|perfil"
    r"|education|credentials|background|thrive|success|succeed|excel\b|stand out"
)
BENEFITS = (
    r"benefit|perks|what we offer|we offer|compensation|salary|pay (range|transparency)|why (join|you'll love|work)"
    r"|total rewards|equal (opportunity|employment)|\beeo\b|our offer|what's in it|wir bieten|life at"
    r"|diversity|accommodation|how to apply|application process|interview process|location|work environment"
)
ABOUT = r"^about\b|who we are|our (mission|company|team|story|values)|company (overview|description)|^the team"

# Sentence-level signals for postings without a duties section.
DUTY_SENTENCE = (
    r"\byou('ll| will)\b|\byou'd be\b|\bresponsible for\b|\bthe role (involves|includes)\b"
    r"|\byour (role|work|job) (is|will)\b|\bthis role (will|is responsible)\b|\bthe (engineer|candidate) will\b"
)
NOT_A_DUTY = (
    r"\b(\d+\+? years|degree|bachelor|master's|phd|proficien|familiar|experience (with|in)\b|salary|benefit"
    r"|equal opportunity|eeo|we offer|compensation|visa|apply)\b"
)


def _section_kind(heading: pl.Expr) -> pl.Expr:
    text = heading.str.to_lowercase()
    # qualifications first: "What you'll bring" must not read as "what you'll ..." duties
    return (
        pl.when(text.str.contains(BENEFITS))
        .then(pl.lit("benefits"))
        .when(
            text.str.contains(QUALIFICATIONS)
            & ~text.str.contains(r"responsibilit|what you('ll| will) do")
        )
        .then(pl.lit("qualifications"))
        .when(text.str.contains(DUTIES))
        .then(pl.lit("duties"))
        .when(text.str.contains(ABOUT))
        .then(pl.lit("about"))
        .otherwise(None)
    )


def _split_sentences(text: pl.Expr) -> pl.Expr:
    return (
        text.str.replace_all(r"([a-z0-9)\]][.!?])\s+([A-Z])", "$1\n$2")
        .str.replace_all(r";\s+", ";\n")
        .str.split("\n")
    )


def _clean_item(text: pl.Expr) -> pl.Expr:
    return (
        text.str.replace(rf"^\s*{BULLET}\s+", "")
        .str.replace_all(r"\*\*|__", "")
        .str.strip_chars(" \t;,")
        .str.replace(r"^[a-z]\)\s+", "")
    )


def lines_of(postings: pl.DataFrame) -> pl.DataFrame:
    """One row per line with its role (blank / bullet / heading / text) and section."""
    lines = (
        postings.select(
            "batch_id",
            "posting_id",
            pl.col("description_text").fill_null("").str.split("\n").alias("line"),
        )
        .with_columns(line_no=pl.int_ranges(pl.col("line").list.len()))
        .explode("line", "line_no")
        .with_columns(pl.col("line").fill_null(""))
    )
    stripped = pl.col("line").str.strip_chars()
    bare = stripped.str.replace_all(r"^#+\s*|\*\*|__|^\*|\*$", "").str.strip_chars(" :.-")
    is_bullet = pl.col("line").str.contains(rf"^\s*{BULLET}\s+\S")
    words = bare.str.count_matches(r"\S+")
    heading_like = (
        ~is_bullet
        & (stripped.str.len_chars() > 0)
        & (words <= 9)
        & (stripped.str.len_chars() <= 80)
        & ~stripped.str.contains(r"[.!?,;]$")
        & (
            stripped.str.ends_with(":")
            | stripped.str.starts_with("#")
            | stripped.str.contains(r"^\*\*.+\*\*:?$")
            | (bare == bare.str.to_uppercase()) & bare.str.contains(r"[A-Z]{3}")
            | (words <= 6)
        )
    )
    kind = _section_kind(bare)
    return lines.with_columns(
        bare=bare,
        is_blank=stripped.str.len_chars() == 0,
        is_bullet=is_bullet,
        depth=pl.col("line").str.extract(r"^(\s*)", 1).str.len_chars() // 2,
        # a short text line opens a section only when its wording says which section it is
        is_heading=heading_like & kind.is_not_null(),
        section_kind=pl.when(heading_like).then(kind).otherwise(None),
    ).with_columns(
        section=pl.when(pl.col("is_heading"))
        .then(pl.col("bare"))
        .otherwise(None)
        .forward_fill()
        .over("batch_id", "posting_id", order_by="line_no"),
        section_kind=pl.col("section_kind")
        .forward_fill()
        .over("batch_id", "posting_id", order_by="line_no"),
    )


def extract_rules(postings: pl.DataFrame, min_words: int = 3) -> pl.DataFrame:
    """clean.postings rows (with description_text) -> clean.responsibilities rows."""
    lines = lines_of(postings)
    in_duties = lines.filter(
        (pl.col("section_kind") == "duties") & ~pl.col("is_heading") & ~pl.col("is_blank")
    )
    has_bullets = in_duties.group_by("batch_id", "posting_id", "section").agg(
        pl.col("is_bullet").any().alias("section_has_bullets")
    )
    in_duties = in_duties.join(
        has_bullets, on=["batch_id", "posting_id", "section"], how="left", nulls_equal=True
    )
    bullet_items = in_duties.filter(
        pl.col("is_bullet") & ~pl.col("line").str.strip_chars().str.ends_with(":")
    )
    # a duties section written as prose: every sentence is an item
    prose_items = (
        in_duties.filter(~pl.col("section_has_bullets") & ~pl.col("is_bullet"))
        .with_columns(pl.col("line").pipe(_split_sentences))
        .explode("line")
    )
    section_items = pl.concat([bullet_items, prose_items], how="diagonal_relaxed").select(
        "batch_id", "posting_id", "line_no", "section", text=_clean_item(pl.col("line"))
    )

    # fallback: duty-stating sentences of postings that have no duties section at all
    with_section = section_items.select("batch_id", "posting_id").unique()
    fallback = (
        lines.join(with_section, on=["batch_id", "posting_id"], how="anti")
        .filter(
            ~pl.col("is_blank")
            & ~pl.col("is_heading")
            & ~pl.col("section_kind").is_in(["qualifications", "benefits"]).fill_null(False)
        )
        .with_columns(pl.col("line").pipe(_split_sentences))
        .explode("line")
        .filter(
            pl.col("line").str.to_lowercase().str.contains(DUTY_SENTENCE)
            & ~pl.col("line").str.to_lowercase().str.contains(NOT_A_DUTY)
        )
        .select(
            "batch_id",
            "posting_id",
            "line_no",
            section=pl.lit(None, pl.String),
            text=_clean_item(pl.col("line")),
        )
    )

    items = pl.concat([section_items, fallback])
    items = items.filter(pl.col("text").str.count_matches(r"\S+") >= min_words)
    return (
        items.with_row_index("_order")
        .sort("batch_id", "posting_id", "line_no", "_order")
        .with_columns(
            position=pl.int_range(pl.len()).over("batch_id", "posting_id").cast(pl.Int32),
            method=pl.lit(METHOD),
        )
        .select("posting_id", "batch_id", "position", "text", "section", "method")
    )


def precomputed_items(postings: pl.DataFrame) -> pl.DataFrame:
    """Responsibilities that enriched records already carry, in their given order."""
    return (
        postings.filter(pl.col("precomputed_responsibilities").is_not_null())
        .select("posting_id", "batch_id", text=pl.col("precomputed_responsibilities"))
        .with_columns(position=pl.int_ranges(pl.col("text").list.len()).cast(pl.List(pl.Int32)))
        .explode("text", "position")
        .filter(pl.col("text").is_not_null())
        .select(
            "posting_id",
            "batch_id",
            "position",
            "text",
            section=pl.lit(None, pl.String),
            method=pl.lit("precomputed"),
        )
    )


def extract_responsibilities(postings: pl.DataFrame) -> pl.DataFrame:
    """Precomputed items where a record has them, the rules extractor for the rest."""
    enriched = postings.filter(pl.col("precomputed_responsibilities").is_not_null())
    plain = postings.filter(pl.col("precomputed_responsibilities").is_null())
    return pl.concat(
        [precomputed_items(enriched), extract_rules(plain)], how="vertical_relaxed"
    ).sort("batch_id", "posting_id", "position")
