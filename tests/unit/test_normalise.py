"""Text normalisation expressions on small literal inputs."""

import polars as pl
import pytest

from pipeline.text.clean import clean_batch, dedup_key
from pipeline.text.normalise import (
    count_pii,
    description_text,
    detect_language,
    is_ascii,
    is_hard_wrapped,
    language_hits,
    language_hits_of_words,
    redact_pii,
    word_hashes,
    word_tokens,
)
from pipeline.text.titles import normalise_title, seniority


def norm(text: str, fmt: str = "text") -> str:
    df = pl.DataFrame({"raw": [text], "fmt": [fmt]})
    return df.select(description_text(pl.col("raw"), pl.col("fmt"))).item()


def test_html_lists_become_bullets_and_entities_decode():
    out = norm(
        "<h3>What you&rsquo;ll do</h3><ul><li>Build <b>RAG</b> &amp; agents</li><li>Ship&nbsp;it</li></ul><script>x()</script>",
        "html",
    )
    assert out == "What you'll do\n\n- Build RAG & agents\n- Ship it"


def test_rare_entities_use_the_full_decoder():
    assert norm("<p>caf&eacute; &#8364;5</p>", "html") == "café €5"


def test_mojibake_is_repaired():
    assert norm("youâ€™ll build â€“ fast") == "you'll build - fast"
    # the same bytes decoded as Latin-1 rather than Windows-1252 (C1 controls, not €/™)
    latin1 = "you’ll build – fast".encode().decode("latin-1")
    assert norm(latin1) == "you'll build - fast"


def test_hard_wrapped_text_is_unwrapped_and_split_words_rejoined():
    wrapped = (
        "We are a company that builds tools for people who like\n"
        "tools and we would like you to join our small team of\n"
        "engineers who work on language models every day now.\n"
        "\n"
        "What You'll Do\n"
        "\n"
        "- Lead the fine-\n"
        "  tuning of open models for our customers around the\n"
        "  world and measure them\n"
        "- Build LLM-\n"
        "  powered features\n"
        "- Keep the evaluation harness of the team running well\n"
        "- Write documentation for every system you touch here\n"
    )
    out = norm(wrapped)
    assert "like tools and" in out and "team of engineers" in out
    assert (
        "- Lead the fine-tuning of open models for our customers around the world and measure them"
        in out
    )
    assert "- Build LLM-powered features" in out
    assert "\nWhat You'll Do\n" in out


def test_hard_wrapped_needs_many_lines_near_a_width_of_100_characters_or_less():
    def lines(*widths: int) -> str:
        return "\n".join("w" * width for width in widths)

    texts = [
        lines(*[72] * 8),  # wrapped
        lines(*[100] * 7, 60),  # lines of exactly 100 characters: still wrapped
        lines(*[72] * 7, 101),  # one line over 100 characters: not wrapped
        lines(*[72] * 7),  # too few lines
        lines(72, 72, 72, 72, 20, 20, 20, 20),  # only 4 lines near the longest
        None,
        "",
    ]
    got = pl.DataFrame({"text": texts}).select(is_hard_wrapped(pl.col("text")))["text"]
    assert got.to_list() == [True, True, False, False, False, False, False]
    # the same rows alone, and in another order, give the same answers
    for i, text in enumerate(texts):
        alone = pl.DataFrame({"text": [text]}, schema={"text": pl.String})
        assert alone.select(is_hard_wrapped(pl.col("text"))).item() == got[i]


def test_only_the_hard_wrapped_texts_of_a_batch_are_joined_at_the_wrap_width():
    wrapped = "\n".join(
        ["We build tools for the people who like tools and we would like you to"] * 8
    )
    loose = "A short opening line without punctuation that runs on\nNext line starts here"
    got = pl.DataFrame({"raw": [wrapped, loose, None], "fmt": ["text"] * 3}).select(
        description_text(pl.col("raw"), pl.col("fmt"))
    )["raw"]
    assert got[0] == " ".join(
        ["We build tools for the people who like tools and we would like you to"] * 8
    )
    assert got[1] == loose  # not hard-wrapped: its lines stay as they are
    assert got[2] is None


def test_short_lines_of_a_list_without_bullets_are_not_joined():
    text = "Responsibilities\nDesign predictive models for the marketing team\nCollaborate with analysts on experiments"
    assert norm(text) == text


def test_pii_is_counted_and_redacted():
    df = pl.DataFrame(
        {
            "t": [
                "Write to jobs@acme.example or call +1 (555) 010-2030; salary 140,000-200,000 in 2025-2026."
            ]
        }
    )
    out = df.select(n=count_pii(pl.col("t")), red=redact_pii(pl.col("t"))).row(0, named=True)
    assert out["n"] == 2
    assert out["red"] == "Write to [email] or call [phone]; salary 140,000-200,000 in 2025-2026."


def test_phone_numbers_are_counted_in_ascii_texts_and_in_texts_with_other_characters():
    texts = [
        "Call 555-010-2030 or 555.010.2031.",
        "Café team: call 555-010-2030.",
        # digits of another script are digits too (PHONE's \\d): found in a non-ASCII text
        "Call \u0665\u0665\u0665-\u0660\u0661\u0660-\u0662\u0660\u0663\u0660.",
        "No number, years 2025-2026.",
        None,
    ]
    got = pl.DataFrame({"t": texts}).select(count_pii(pl.col("t")))["t"].to_list()
    assert got == [2, 1, 1, 0, 0]


def test_redaction_given_the_counts_changes_the_same_texts_as_a_full_one():
    texts = [
        "Write to jobs@acme.example or call +1 (555) 010-2030.",
        "No contact details here, 555 people, 2025-2026.",
        # the e-mail's replacement puts a word boundary before the digits: a phone number now
        "Mail bob@host.io555-010-2030 today",
        None,
    ]
    df = pl.DataFrame({"t": texts}).with_columns(n=count_pii(pl.col("t")))
    out = df.select(full=redact_pii(pl.col("t")), counted=redact_pii(pl.col("t"), pl.col("n")))
    assert out["counted"].to_list() == out["full"].to_list()
    assert out["full"][2] == "Mail [email][phone] today"
    assert df["n"].to_list() == [2, 0, 1, 0]


def test_is_ascii():
    out = pl.select(is_ascii(pl.lit(pl.Series(["plain", "café", "", None, "a\u2019s"]))))
    assert out.to_series().to_list() == [True, False, True, None, False]


@pytest.mark.parametrize(
    ("text", "tokens"),
    [
        # a run of separators becomes one space; none is left at either end
        ("Build RAG, ship it!", "build rag ship it"),
        ("a  b   c", "a b c"),
        (" - x -\n\ty ", "x y"),
        ("Café déjà-vu 3.5x", "café déjà vu 3 5x"),
        ("Tabs\tand\u00a0no-break spaces", "tabs and no break spaces"),
        ("!!! ...", ""),
        ("", ""),
    ],
)
def test_word_tokens_are_the_lower_cased_words_one_space_apart(text, tokens):
    assert pl.select(word_tokens(pl.lit(text))).item() == tokens


@pytest.mark.parametrize(
    ("text", "lang"),
    [
        (
            "You will build the models and the tools for our team with the best people in the world.",
            "en",
        ),
        (
            "Du entwickelst mit uns die Plattform und bist für die Modelle zuständig, die wir mit dem Team bauen.",
            "de",
        ),
        ("Short", "unknown"),
    ],
)
def test_language(text, lang):
    assert pl.DataFrame({"t": [text]}).select(detect_language(pl.col("t"))).item() == lang


def test_function_words_counted_from_word_hashes_equal_the_regex_counts():
    """clean_batch counts function words by looking up each word's hash; the counts must be
    those of the regex count over the tokens, in every language, including words that two
    languages share ("en", "la"), adjacent function words, accents, and no words at all."""
    texts = [
        "You will build the models and the tools of the team, in the office or at home.",
        "Du bist für die Plattform und das Team zuständig, mit uns und den Kunden.",
        "Vous êtes en charge de la plateforme et des outils pour nous, avec une équipe.",
        "El equipo y la empresa en la que tu trabajas para los clientes con una misión.",
        "Je werkt met een team van ons en de klant, voor het product op de locatie.",
        "Você e a equipe para o cliente com uma missão que é da empresa na cidade.",
        "Il team e la persona per il cliente con una missione che della società.",
        "the the the and-and of/of  to.to",
        "theory andrew often tourism intentions",  # function words only inside other words
        "!!! ...",
        "",
        None,
    ]
    frame = pl.DataFrame({"t": texts}, schema={"t": pl.String}).with_columns(
        tokens=word_tokens(pl.col("t"))
    )
    got = frame.select(
        by_regex=language_hits(pl.col("tokens")),
        by_hash=language_hits_of_words(word_hashes(pl.col("tokens"))),
    )
    by_regex = [[n or 0 for n in row] for row in got["by_regex"].to_list()]
    assert got["by_hash"].to_list() == by_regex
    assert by_regex[0][0] >= 8 and by_regex[8] == [0] * 7


@pytest.mark.parametrize(
    ("title", "normalized", "level"),
    [
        ("Senior AI Engineer", "AI Engineer", "senior"),
        ("Sr. AI Engineer (Remote)", "AI Engineer", "sr"),
        ("Staff Software Engineer, AI", "Software Engineer, AI", "staff"),
        ("AI Engineer II", "AI Engineer", "ii"),
        ("AI Engineer 2", "AI Engineer", "2"),
        ("Senior Data Scientist 3 (Remote)", "Data Scientist", "senior 3"),
        ("Tier 2 Support Engineer", "Tier 2 Support Engineer", None),
        ("Engineer 7", "Engineer 7", None),
        ("Lead - Applied AI Engineer", "Applied AI Engineer", "lead"),
        ("Senior", "Senior", "senior"),
        ("Machine Learning Engineer", "Machine Learning Engineer", None),
    ],
)
def test_titles(title, normalized, level):
    out = (
        pl.DataFrame({"t": [title]})
        .select(n=normalise_title(pl.col("t")), s=seniority(pl.col("t")))
        .row(0)
    )
    assert out == (normalized, level)


def test_dedup_key_ignores_case_punctuation_and_spacing():
    df = pl.DataFrame(
        {
            "t": [
                "Build  RAG, fast!",
                "build rag fast",
                "Build RAG slowly",
                "",
                " - !! ",
                None,
                "rag",
            ]
        }
    )
    keys = df.select(dedup_key(pl.col("t"))).to_series().to_list()
    assert keys[0] == keys[1] != keys[2]
    assert keys[3] is None and keys[4] is None and keys[5] is None  # no word: no key
    assert keys[6] is not None and keys[6] not in keys[:3]


def test_clean_batch_adds_the_contract_columns():
    raw = pl.DataFrame(
        {
            "title": ["Senior AI Engineer"],
            "description_raw": ["<ul><li>Build agents, mail a@b.example</li></ul>"],
            "description_format": ["html"],
            "precomputed_responsibilities": [None],
        },
        schema_overrides={"precomputed_responsibilities": pl.List(pl.String)},
    )
    row = clean_batch(raw).row(0, named=True)
    assert row["description_text"] == "- Build agents, mail [email]"
    assert row["pii_redactions"] == 1
    assert row["title_normalized"] == "AI Engineer" and row["seniority"] == "senior"
    assert row["is_analysed"] is True and row["dedup_key"]


def test_clean_batch_derives_title_columns_once_per_title_with_each_row_its_own():
    """Titles are normalised once per distinct title and joined back: every row, repeated
    and missing titles included, has the values of its own title, in the input's order."""
    titles = [
        "Senior AI Engineer",
        None,
        "Lead - Applied AI Engineer",
        "Senior AI Engineer",
        "ML Engineer II",
    ]
    raw = pl.DataFrame(
        {
            "title": titles,
            "description_raw": [f"Posting {i}: build and ship models." for i in range(len(titles))],
            "description_format": ["text"] * len(titles),
            "precomputed_responsibilities": [None] * len(titles),
        },
        schema_overrides={"title": pl.String, "precomputed_responsibilities": pl.List(pl.String)},
    )
    out = clean_batch(raw)
    expected = raw.select(
        title_normalized=normalise_title(pl.col("title")), seniority=seniority(pl.col("title"))
    )
    assert out["description_text"].to_list() == raw["description_raw"].to_list()
    assert out.select("title_normalized", "seniority").equals(expected)
    assert out["title_key"].to_list() == [
        "senior ai engineer",
        "",
        "lead - applied ai engineer",
        "senior ai engineer",
        "ml engineer ii",
    ]
