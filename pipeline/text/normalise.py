"""Text normalisation as Polars expressions: raw description -> clean plain text.

Order matters and each step is its own function so it can be tested on small literals:
HTML -> text (keeping list structure as "- " bullets), entity decoding, mojibake repair,
Unicode NFKC and typographic quotes, unwrapping of hard-wrapped lines, whitespace, PII redaction.
Only the rare rows that need a Python library (entities beyond the common ones, mojibake)
are handed to Python, and only those rows.
"""

from __future__ import annotations

import functools
import html

import ftfy
import numpy as np
import polars as pl

# --- HTML --------------------------------------------------------------------------------------

_BLOCK_TAGS = r"p|div|section|article|header|footer|ul|ol|table|tr|blockquote|h[1-6]"
_COMMON_ENTITIES = {
    "&nbsp;": " ",
    "&amp;": "&",
    "&lt;": "<",
    "&gt;": ">",
    "&quot;": '"',
    "&#39;": "'",
    "&#x27;": "'",
    "&apos;": "'",
    "&rsquo;": "'",
    "&lsquo;": "'",
    "&ldquo;": '"',
    "&rdquo;": '"',
    "&ndash;": "-",
    "&mdash;": "-",
    "&hellip;": "...",
    "&bull;": "-",
}


def _python_rows(expr: pl.Expr, needs: str, fn) -> pl.Expr:
    """Apply a Python str->str function only to the rows matching regex `needs`."""

    def apply(series: pl.Series) -> pl.Series:
        mask = series.str.contains(needs).fill_null(False)
        if not mask.any():
            return series
        values = series.to_list()
        for i in mask.arg_true().to_list():
            values[i] = fn(values[i])
        return pl.Series(series.name, values, dtype=pl.String)

    return expr.map_batches(apply, return_dtype=pl.String)


def html_to_text(expr: pl.Expr) -> pl.Expr:
    """HTML to plain text: list items become "- " bullets, block ends become blank lines."""
    return (
        expr.str.replace_all(
            r"(?is)<(script|style|noscript)\b.*?</(script|style|noscript)\s*>", " "
        )
        .str.replace_all(r"(?s)<!--.*?-->", " ")
        .str.replace_all(r"\r\n?", "\n")
        # source newlines inside HTML are layout, not structure
        .str.replace_all(r"\s*\n\s*", " ")
        .str.replace_all(r"(?i)<li\b[^>]*>", "\n- ")
        .str.replace_all(r"(?i)</li\s*>", "")
        .str.replace_all(r"(?i)<br\s*/?>", "\n")
        .str.replace_all(rf"(?i)</?({_BLOCK_TAGS})\b[^>]*>", "\n\n")
        .str.replace_all(r"<[^>]+>", "")
    )


def decode_entities(expr: pl.Expr) -> pl.Expr:
    common = expr.str.replace_many(list(_COMMON_ENTITIES), list(_COMMON_ENTITIES.values()))
    return _python_rows(common, r"&(#\d+|#x[0-9a-fA-F]+|[A-Za-z]+);", html.unescape)


# Sequences that only appear when UTF-8 bytes were decoded as Windows-1252 / Latin-1.
MOJIBAKE_HINT = r"(â€|â[\x{80}-\x{BF}]|Ã[\x{80}-\x{BF}A-Za-z]|Â[\s\x{80}-\x{BF}]|ðŸ)"


def repair_mojibake(expr: pl.Expr) -> pl.Expr:
    return _python_rows(expr, MOJIBAKE_HINT, lambda s: ftfy.fix_text(s, normalization="NFC"))


_TYPOGRAPHY = {
    "\u2018": "'",
    "\u2019": "'",
    "\u201c": '"',
    "\u201d": '"',
    "\u2013": "-",
    "\u2014": "-",
    "\u00a0": " ",
    "\u200b": "",
    "\ufeff": "",
    "\u2022": "-",
    "\u25cf": "-",
    "\u25aa": "-",
    "\u25e6": "-",
    "\u2023": "-",
    "\u00b7": "-",
}


def is_ascii(expr: pl.Expr) -> pl.Expr:
    """Whether a text has ASCII characters only: its UTF-8 bytes are as many as its
    characters (two length counts, many times faster than a regex search for a non-ASCII
    character)."""
    return expr.str.len_bytes() == expr.str.len_chars()


def _only_where(expr: pl.Expr, needs, transform) -> pl.Expr:
    """Apply the expression `transform` only to the rows where `needs` (a function of the
    column, giving a boolean series) is true: the others are left as they are, so the cost
    is paid only where the step can change something."""

    def apply(series: pl.Series) -> pl.Series:
        return computed_on_rows(series, needs(series).fill_null(False), transform)

    return expr.map_batches(apply, return_dtype=pl.String)


def computed_on_rows(
    series: pl.Series, mask: pl.Series, expr_of, base: pl.Series | None = None
) -> pl.Series:
    """`base` (default: `series` itself) with `expr_of` (a function of an expression) of the
    rows of `series` where `mask` is true put in those rows: the expression costs those rows
    only."""
    base = series if base is None else base
    if not mask.any():
        return base
    if mask.all():
        return pl.select(expr_of(pl.lit(series))).to_series().alias(base.name)
    values = pl.select(expr_of(pl.lit(series.filter(mask)))).to_series()
    return base.clone().scatter(mask.arg_true(), values)


def _non_ascii(series: pl.Series, needs: str | None = None) -> pl.Series:
    """The rows with a non-ASCII character (and matching regex `needs`, if given)."""
    mask = (~pl.select(is_ascii(pl.lit(series))).to_series()).fill_null(False)
    if needs is not None and mask.any():
        mask = mask.scatter(mask.arg_true(), series.filter(mask).str.contains(needs))
    return mask


# Characters NFKC leaves as they are or maps as _TYPOGRAPHY does (no-break space): a text
# whose only non-ASCII characters are these needs no NFKC.
_NEEDS_NFKC = "[^\\x00-\\x7F" + "".join(_TYPOGRAPHY) + "]"


def unicode_normalise(expr: pl.Expr) -> pl.Expr:
    # NFKC (slow) and the typography map leave ASCII text as it is: only the rows that can
    # change pay for them (bullets and curly quotes alone do not call for NFKC)
    nfkc = _only_where(
        expr, lambda s: _non_ascii(s, _NEEDS_NFKC), lambda e: e.str.normalize("NFKC")
    )
    return (
        _only_where(
            nfkc,
            _non_ascii,
            lambda e: e.str.replace_many(list(_TYPOGRAPHY), list(_TYPOGRAPHY.values())),
        )
        .str.replace_all(r"\r\n?", "\n")
        .str.replace_all("\t", "    ")
    )


# --- layout ------------------------------------------------------------------------------------

BULLET = r"(?:[-*+]|\d{1,2}[.)])"
# A document is hard-wrapped when it has many lines and they stop at a common width.
_WRAP_MIN_LINES = 8
_WRAP_MAX_WIDTH = 100


def is_hard_wrapped(expr: pl.Expr) -> pl.Expr:
    """Whether a text is hard-wrapped: it has _WRAP_MIN_LINES lines or more, none longer than
    _WRAP_MAX_WIDTH characters, and 5 or more of them near its longest line's length.

    Splitting every text into lines is slow, and most texts have a longer line (a quick
    regex search): only the others are split."""
    longer_line = rf"[^\n]{{{_WRAP_MAX_WIDTH + 1}}}"

    def apply(series: pl.Series) -> pl.Series:
        candidate = (~series.str.contains(longer_line)).fill_null(False)
        not_wrapped = pl.repeat(False, len(series), dtype=pl.Boolean, eager=True)
        return computed_on_rows(
            series, candidate, _line_widths_wrapped, base=not_wrapped.alias(series.name)
        )

    return expr.map_batches(apply, return_dtype=pl.Boolean)


def _line_widths_wrapped(expr: pl.Expr) -> pl.Expr:
    """`is_hard_wrapped` from the texts' line lengths."""
    lengths = expr.str.split("\n").list.eval(pl.element().str.len_chars())
    longest = lengths.list.max()
    near_width = lengths.list.eval(
        (pl.element() >= pl.element().max() * 0.8).cast(pl.Int32)
    ).list.sum()
    return (
        (lengths.list.len() >= _WRAP_MIN_LINES) & (longest <= _WRAP_MAX_WIDTH) & (near_width >= 5)
    ).fill_null(False)


def unwrap_lines(expr: pl.Expr, hard_wrapped: pl.Expr) -> pl.Expr:
    """Join lines that a scraper or e-mail client broke mid-sentence.

    - a word split at a line end ("fine-" / "tuning") is rejoined ("fine-tuning");
    - an indented line under a non-blank, non-bullet continuation belongs to the line above;
    - a line starting in lower case continues a long line above it;
    - in hard-wrapped documents, a line above that ends near the wrap width without
      sentence punctuation continues on the next line.
    Bullets and headings always start a new line.
    """
    joined = _only_where(
        expr.str.replace_all(r"([A-Za-z])-\n[ ]*([A-Za-z])", "$1-$2").str.replace_all(
            r"([^\n]{20})\n[ ]+([^\s\-*+\d#])", "$1 $2"
        ),
        # the search for a long line above is slow: only texts with a lower-case line start
        lambda s: s.str.contains(r"\n[ ]*\p{Ll}"),
        lambda e: e.str.replace_all(r"([^\n:]{40}[^\n.:!?])\n[ ]*(\p{Ll})", "$1 $2"),
    )
    # the wrap-width joins cost two passes over a text: only hard-wrapped texts (few) pay them
    return pl.struct(joined.alias("text"), hard_wrapped.alias("flag")).map_batches(
        _join_flagged_wrapped_lines, return_dtype=pl.String
    )


def join_wrapped_lines(expr: pl.Expr) -> pl.Expr:
    """In a hard-wrapped text, a line that ends near the wrap width without sentence
    punctuation continues on the next line."""
    wrapped = expr.str.replace_all(_WRAP_JOIN, "$1 $2")
    # a second pass catches runs the first could not see (a match consumes one char of the next line)
    return wrapped.str.replace_all(_WRAP_JOIN, "$1 $2")


_WRAP_JOIN = r"([^\n]{40}[^\n.:!?;])\n[ ]*([^\s\-*+#]|\d+[^.)\d])"


def _join_flagged_wrapped_lines(text_and_flag: pl.Series) -> pl.Series:
    flag = text_and_flag.struct.field("flag").fill_null(False)
    return computed_on_rows(text_and_flag.struct.field("text"), flag, join_wrapped_lines)


def tidy_whitespace(expr: pl.Expr) -> pl.Expr:
    return (
        expr.str.replace_all(r"([^\s])[ ]{2,}", "$1 ")
        .str.replace_all(r"[ ]+\n", "\n")
        .str.replace_all(r"\n{3,}", "\n\n")
        .str.strip_chars()
    )


# --- PII ---------------------------------------------------------------------------------------

EMAIL = r"[A-Za-z0-9._%+\-]+@[A-Za-z0-9\-]+(?:\.[A-Za-z0-9\-]+)*\.[A-Za-z]{2,}"
# International (+CC ...) or North-American (555) 010-2030 / 555-010-2030 / 555.010.2030 forms;
# ranges of years or salaries do not have these separators, so they are left alone.
PHONE = (
    r"(?:\+\d{1,3}[ .\-]?(?:\(\d{1,4}\)[ .\-]?)?\d{1,4}(?:[ .\-]\d{2,4}){1,4})"
    r"|(?:\(\d{3}\)[ .\-]?\d{3}[ .\-]\d{4})"
    r"|(?:\b\d{3}[.\-]\d{3}[.\-]\d{4}\b)"
)


#: PHONE with ASCII digits: the same matches in a text of ASCII characters only, found about
#: five times faster (a Unicode \d is hundreds of characters to the regex engine).
_ASCII_PHONE = PHONE.replace(r"\d", "[0-9]")


def count_pii(expr: pl.Expr) -> pl.Expr:
    return (
        (expr.str.count_matches(EMAIL) + expr.map_batches(_phone_counts, return_dtype=pl.UInt32))
        .fill_null(0)
        .cast(pl.Int32)
    )


def _phone_counts(texts: pl.Series) -> pl.Series:
    """The phone numbers in each text: with `_ASCII_PHONE` in the texts of ASCII characters
    only (nearly all), with PHONE in the others."""
    counts = texts.str.count_matches(_ASCII_PHONE)
    return computed_on_rows(
        texts, _non_ascii(texts), lambda e: e.str.count_matches(PHONE), base=counts
    )


def redact_pii(expr: pl.Expr, pii_count: pl.Expr | None = None) -> pl.Expr:
    """E-mail addresses, then phone numbers, replaced by placeholders.

    Given the texts' `count_pii`, only the texts with a count above 0 are searched (the
    phone search is slow, and most texts have none). A text without an e-mail address or a
    phone number is left as it is by the replacements: a phone number found after the
    e-mail replacement is either in the text as given or next to an e-mail address."""
    if pii_count is None:
        return _redacted(expr)
    return pl.struct(expr.alias("text"), (pii_count > 0).alias("flag")).map_batches(
        _redact_flagged, return_dtype=pl.String
    )


def _redacted(expr: pl.Expr) -> pl.Expr:
    return expr.str.replace_all(EMAIL, "[email]").str.replace_all(PHONE, "[phone]")


def _redact_flagged(text_and_flag: pl.Series) -> pl.Series:
    flag = text_and_flag.struct.field("flag").fill_null(False)
    return computed_on_rows(text_and_flag.struct.field("text"), flag, _redacted)


# --- language ----------------------------------------------------------------------------------

# Function words are the most reliable cheap signal: frequent, short, language-specific.
STOPWORDS = {
    "en": "the and to of you with for our will are your we this that is in on as be",
    "de": "und der die das mit für wir du ist zu von den sie ein eine bei auf deine im",
    "fr": "et le la les des pour vous nous avec une est dans sur du au votre",
    "es": "y el los las para con una que del por en su tu como es nuestro",
    "nl": "en de het van een voor met wij je jouw zijn op te bij",
    "pt": "e o os as para com uma que do da em você nossa é na",
    "it": "e il la le per con una che del della di un sono nel tua",
}


def word_tokens(expr: pl.Expr) -> pl.Expr:
    """Lower-cased words (letters and digits), one space apart, none at either end
    ("build rag ship it"): what the words of a text are for its language, its dedup key and
    its MinHash signature."""
    # Every run of other characters becomes one space. Most runs are a single space already,
    # and a regex replacement costs per match: only the runs holding another character, or
    # two spaces or more, are matched (single spaces are left as they are).
    squashed = expr.str.to_lowercase().str.replace_all(
        r"[^\p{L}\p{N}]*[^\p{L}\p{N} ][^\p{L}\p{N}]*| {2,}", " "
    )
    return squashed.str.strip_chars(" ")


#: The seed of every stored word and shingle hash (MinHash signatures, their bands).
WORD_HASH_SEED = 20260214


def words_of_tokens(tokens: pl.Expr) -> pl.Expr:
    """The words of a text split by `word_tokens`, as a list."""
    # a text without words is "", whose split is [""]
    return tokens.str.split(" ").list.eval(pl.element().filter(pl.element() != ""))


def word_hashes(tokens: pl.Expr) -> pl.Expr:
    """The seeded 64-bit hash of each word of a text split by `word_tokens`, as a list: what
    the function-word counts (`language_hits_of_words`) and MinHash (`dedup.signatures`)
    both read."""
    return words_of_tokens(tokens).list.eval(pl.element().hash(seed=WORD_HASH_SEED))


def language_hits_of_words(hashes: pl.Expr) -> pl.Expr:
    """`language_hits` from a text's `word_hashes`: the same counts (a function word is a
    whole word), by a table lookup per word instead of a regex count per language over the
    text, which cost twice the hashing. A word counts when its 64-bit hash is a function
    word's: another word with the same hash would count too (a chance of about 1 in 2^57 per
    word for the ~130 function words)."""
    return hashes.map_batches(_function_word_counts, return_dtype=pl.List(pl.UInt32))


class _FunctionWordTable:
    """An open table of the function words' hashes, one slot each: a word's slot is bits
    `shift`.. of its hash, chosen so that no two function words share one. `languages[slot]`
    has bit i set when the word is one of the i-th language of STOPWORDS."""

    SLOT_BITS = 16

    def __init__(self) -> None:
        words = sorted({w for ws in STOPWORDS.values() for w in ws.split()})
        hashed = pl.Series([[w] for w in words]).list.eval(pl.element().hash(seed=WORD_HASH_SEED))
        hashes = hashed.explode().to_numpy().astype(np.uint64)
        mask = np.uint64((1 << self.SLOT_BITS) - 1)
        for shift in range(0, 64 - self.SLOT_BITS + 1):
            slots = (hashes >> np.uint64(shift)) & mask
            if len(np.unique(slots)) == len(words):
                break
        else:  # pragma: no cover - 130 words in 65,536 slots
            raise RuntimeError("no shift gives the function words distinct slots")
        self.shift, self.mask = np.uint64(shift), mask
        self.hashes = np.zeros(1 << self.SLOT_BITS, dtype=np.uint64)
        self.languages = np.zeros(1 << self.SLOT_BITS, dtype=np.uint8)
        self.hashes[slots] = hashes
        slot_of = dict(zip(words, slots, strict=True))
        for i, ws in enumerate(STOPWORDS.values()):
            for w in ws.split():
                self.languages[slot_of[w]] |= np.uint8(1 << i)
        # a slot of no function word holds hash 0: a word hashing to 0 there would count as
        # a hit of no language (its bits are 0), so no count changes


@functools.cache
def _function_word_table() -> _FunctionWordTable:
    return _FunctionWordTable()


def _function_word_counts(hashes: pl.Series) -> pl.Series:
    table = _function_word_table()
    n = len(hashes)
    per_text = hashes.list.len().fill_null(0).to_numpy().astype(np.int64)
    flat = hashes.explode().drop_nulls().to_numpy().astype(np.uint64)
    text = np.repeat(np.arange(n), per_text)
    slot = (flat >> table.shift) & table.mask
    hit = table.hashes[slot] == flat
    languages, text = table.languages[slot[hit]], text[hit]
    counts = np.empty((n, len(STOPWORDS)), dtype=np.uint32)
    for i in range(len(STOPWORDS)):
        counts[:, i] = np.bincount(text[(languages >> i) & 1 == 1], minlength=n)
    return pl.Series(hashes.name, counts).cast(pl.List(pl.UInt32))


def language_hits(tokens: pl.Expr) -> pl.Expr:
    """Per text (as `word_tokens`), the number of function words of each language in
    STOPWORDS (a list, in STOPWORDS order), by one regex count per language: the definition
    `language_hits_of_words` (what the pipeline runs) must agree with, as a test checks."""
    # each word framed by two spaces, so that neighbouring words never share one and a plain
    # " word " search finds every function word, adjacent ones too
    framed = pl.concat_str(
        [pl.lit("  "), tokens.str.replace_all(" ", "  ", literal=True), pl.lit("  ")]
    )
    return pl.concat_list(
        [
            framed.str.count_matches(" (" + "|".join(words.split()) + ") ").fill_null(0)
            for words in STOPWORDS.values()
        ]
    )


def language_of_hits(hits: pl.Expr, min_hits: int = 5) -> pl.Expr:
    """The language with the most hits (the first in STOPWORDS order on a tie); "unknown"
    below `min_hits`."""
    index = hits.list.arg_max().replace_strict(dict(enumerate(STOPWORDS)), return_dtype=pl.String)
    return pl.when(hits.list.max() >= min_hits).then(index).otherwise(pl.lit("unknown"))


def detect_language(expr: pl.Expr, min_hits: int = 5) -> pl.Expr:
    """The language of each text, counted as `clean_batch` counts it (from word hashes)."""
    return language_of_hits(language_hits_of_words(word_hashes(word_tokens(expr))), min_hits)


# --- the whole chain ---------------------------------------------------------------------------


def description_text(raw: pl.Expr, fmt: pl.Expr) -> pl.Expr:
    """Raw description (text or HTML) -> normalised text before PII redaction."""
    return pl.struct(raw.alias("raw"), fmt.alias("fmt")).map_batches(
        _normalise_descriptions, return_dtype=pl.String
    )


def _normalise_descriptions(raw_and_format: pl.Series) -> pl.Series:
    """The chain, one materialised step at a time: each step reads the previous step's
    column once (a nested expression would evaluate shared sub-chains again), and HTML
    conversion runs on the HTML rows only."""
    frame = raw_and_format.struct.unnest().with_row_index("_row")
    is_html = pl.col("fmt") == "html"
    text = pl.concat(
        [
            frame.filter(is_html).select("_row", text=html_to_text(pl.col("raw"))),
            frame.filter(~is_html | is_html.is_null()).select("_row", text=pl.col("raw")),
        ]
    ).sort("_row")
    for step in (decode_entities, repair_mojibake, unicode_normalise):
        text = text.with_columns(text=step(pl.col("text")))
    text = text.with_columns(wrapped=is_hard_wrapped(pl.col("text")))
    text = text.select(text=tidy_whitespace(unwrap_lines(pl.col("text"), pl.col("wrapped"))))
    return text["text"]
