"""A naive baseline of the three hot stages, for the benchmark: pandas and a Python loop per row.

This is how a quick script does normalisation, extraction and classification: a pandas
DataFrame, ``itertuples()`` over its rows, and the stdlib ``re`` module applied per posting,
per line and per responsibility. It runs over the SAME rules as the fast Polars code: the
regex constants and vocabularies are imported from the pipeline's modules (or, where the fast
code writes a pattern inline, copied verbatim in its Rust syntax) and translated once with
``to_python_regex``; every pattern is compiled once, at module import (taxonomy patterns once
per taxonomy). Nothing is slowed on purpose and no rule is skipped.

Stages (timed separately with ``time.perf_counter``):

- normalise: HTML -> text with "- " bullets, entity decoding (``html.unescape`` on the rows
  that need it), mojibake repair (``ftfy`` on the rows that need it), NFKC and typography,
  unwrapping of hard-wrapped lines, whitespace, PII count and redaction, title and seniority,
  language, dedup key;
- extract: precomputed responsibilities where a record has them; otherwise a per-line state
  machine over the normalised text: inline / glued / trailing headings are split off, lines are
  classified (blank, bullet, heading, text), a recognised heading opens a section (benefits >
  qualifications unless a duty lead-in > role > duties > about), then bullets (or sentences)
  of duties sections, role bullets and duty sentences, action-verb lists in other sections, and
  a fallback (action-verb bullets, duty sentences) for postings with nothing so far; items are
  split per task and filtered (min 3 words, NOISE, QUAL_START, left-over sub-headings);
- classify: per responsibility, every pattern of every category with ``re.search``, the same
  position-boosted weights, sub-pattern sums, ``ai_context`` factor, ``1 - exp(-raw)`` squash,
  ``min_score`` / relative thresholds and ``max_labels``, ``other`` otherwise; the TF-IDF
  example similarity is included, done naively (a set of terms per item, a dict per category
  profile, cosine by summing over the item's terms).

Known differences from the fast path (the output need not match it exactly): the classifier
measures a match's position in characters (``str.find`` in Polars gives bytes); ``$`` in
Python also matches before a final newline (the texts it is applied to have none); the dedup
key hashes with blake2b rather than Polars' hash; ``\\p{N}`` becomes ``\\d`` (decimal digits
only) unless it sits in a class with ``\\p{L}``, where ``\\w`` covers both.
"""

from __future__ import annotations

import hashlib
import html
import math
import re
import unicodedata
from dataclasses import dataclass, field
from pathlib import Path

import ftfy
import pandas as pd

from pipeline.bench.stages import timed_stages
from pipeline.classify.categories import (
    _STEM,
    _STOPWORDS,
    DEFAULT_EXAMPLE_WEIGHT,
    DEFAULT_MAX_LABELS,
    DEFAULT_MIN_RELATIVE,
    DEFAULT_MIN_RELATIVE_THIRD,
    DEFAULT_MIN_SCORE,
    EXAMPLE_CEILING,
    EXAMPLE_FLOOR,
    _case_insensitive,
    classifier_name,
)
from pipeline.classify.scoring import POSITION_BOOST, POSITION_SPAN
from pipeline.extract import rules as R
from pipeline.taxonomy import FALLBACK_CATEGORY, Taxonomy, load_taxonomy
from pipeline.text import normalise as N
from pipeline.text import titles as T
from pipeline.warehouse import columns_of

__all__ = ["BaselineResult", "run_baseline", "to_python_regex"]

STAGES = ("normalise", "extract", "classify")

# --- Rust regex syntax -> Python re ------------------------------------------------------------

_LOWER = "a-zß-öø-ÿ"
# Unicode classes the project's patterns use: (outside a class, inside a class or None)
_PROPERTIES = {
    ("L", False): (r"[^\W\d_]", None),
    ("L", True): (r"[\W\d_]", r"\W\d_"),
    ("N", False): (r"\d", r"\d"),
    ("N", True): (r"\D", r"\D"),
    ("Ll", False): (f"[{_LOWER}]", _LOWER),
    ("Ll", True): (f"[^{_LOWER}]", None),
}
_PROPERTY_ALIASES = {
    "L": "L",
    "Letter": "L",
    "N": "N",
    "Number": "N",
    "Ll": "Ll",
    "Lowercase_Letter": "Ll",
}
_FLAG_GROUP = re.compile(r"\(\?([a-zA-Z]*(?:-[a-zA-Z]+)?)\)")
_PY_FLAGS = set("imsxu-")


def _code_point(code: int) -> str:
    if code <= 0xFF:
        return f"\\x{code:02x}"
    if code <= 0xFFFF:
        return f"\\u{code:04x}"
    return f"\\U{code:08x}"


def _property(pattern: str, i: int) -> tuple[str, bool, int] | None:
    """A \\p{..} / \\P{..} / \\pX escape at ``pattern[i]``: (canonical name, negated, end)."""
    if pattern[i + 1 : i + 2] not in ("p", "P"):
        return None
    negated = pattern[i + 1] == "P"
    if pattern[i + 2 : i + 3] == "{":
        end = pattern.index("}", i)
        name, stop = pattern[i + 3 : end], end + 1
    else:
        name, stop = pattern[i + 2 : i + 3], i + 3
    if name not in _PROPERTY_ALIASES:
        raise ValueError(f"to_python_regex: unsupported Unicode class \\p{{{name}}}")
    return _PROPERTY_ALIASES[name], negated, stop


def _escape(pattern: str, i: int) -> tuple[str, int]:
    """Translate the escape at ``pattern[i]`` (a backslash), other than \\p classes."""
    nxt = pattern[i + 1 : i + 2]
    if not nxt:
        raise ValueError("to_python_regex: pattern ends with a backslash")
    if nxt in ("x", "u", "U") and pattern[i + 2 : i + 3] == "{":
        end = pattern.index("}", i)
        return _code_point(int(pattern[i + 3 : end], 16)), end + 1
    if nxt == "z":
        return r"\Z", i + 2
    if nxt == "b" and pattern[i + 2 : i + 3] == "{":
        raise ValueError("to_python_regex: \\b{...} boundaries have no Python equivalent")
    return "\\" + nxt, i + 2


def _char_class(pattern: str, i: int) -> tuple[str, int]:
    """Translate the character class opening at ``pattern[i]``; returns (text, end)."""
    j = i + 1
    negated = pattern[j : j + 1] == "^"
    if negated:
        j += 1
    items: list[str] = []
    letters = numbers = False
    first = True
    while True:
        if j >= len(pattern):
            raise ValueError("to_python_regex: unterminated character class")
        ch = pattern[j]
        if ch == "]" and not first:
            j += 1
            break
        first = False
        if ch == "\\":
            prop = _property(pattern, j)
            if prop is None:
                text, j = _escape(pattern, j)
                items.append(text)
                continue
            name, neg, j = prop
            if (name, neg) == ("L", False):
                letters = True
            elif (name, neg) == ("N", False):
                numbers = True
            else:
                inline = _PROPERTIES[(name, neg)][1]
                if inline is None:
                    raise ValueError(f"to_python_regex: \\p{{{name}}} inside a class")
                items.append(inline)
            continue
        if ch == "[":
            raise ValueError("to_python_regex: nested character classes are not supported")
        if pattern.startswith(("&&", "--", "~~"), j):
            raise ValueError("to_python_regex: class set operations are not supported")
        # Python treats these specially inside a class (or warns about them): escape them
        items.append("\\" + ch if ch in "]^|&~" else ch)
        j += 1
    body = "".join(items)
    if not letters:
        if numbers:
            body = r"\d" + body
        return f"[{'^' if negated else ''}{body}]", j
    if not negated:
        base = r"[^\W_]" if numbers else r"[^\W\d_]"
        return (f"(?:{base}|[{body}])" if body else base), j
    if numbers:
        # not a letter, not a digit, not one of the rest: \W (and "_", which \w includes)
        if "_" in items:
            return f"[^\\w{body}]", j
        return f"(?:[^\\w{body}]|_)", j
    return (f"(?:(?![^\\W\\d_])[^{body}])" if body else r"[\W\d_]"), j


def to_python_regex(pattern: str) -> str:
    """Translate a Rust (Polars) regex into Python ``re`` syntax.

    Covers what the project's patterns use: ``\\p{L}`` / ``\\p{N}`` / ``\\p{Ll}`` (also negated
    and inside classes), ``\\x{80}`` / ``\\u{..}`` escapes, ``\\z``, named groups
    ``(?<name>...)``, and flag groups: ``(?is)`` at the start stays a global flag; a flag group
    later in the pattern applies, as in Rust, up to the end of its enclosing group, so it
    becomes a scoped ``(?i:...)`` group (closed and reopened around each ``|``). Anything that
    has no Python equivalent raises ``ValueError``.
    """
    out: list[str] = []
    # per open group: the scoped flag groups opened inside it, closed when it closes
    scoped: list[list[str]] = [[]]
    leading = True  # nothing but global flags so far
    i, n = 0, len(pattern)
    while i < n:
        ch = pattern[i]
        if ch == "\\":
            prop = _property(pattern, i)
            if prop is not None:
                name, neg, i = prop
                out.append(_PROPERTIES[(name, neg)][0])
            else:
                text, i = _escape(pattern, i)
                out.append(text)
        elif ch == "[":
            text, i = _char_class(pattern, i)
            out.append(text)
        elif ch == "(":
            flags = _FLAG_GROUP.match(pattern, i)
            if flags is not None:
                letters = flags.group(1)
                if not set(letters) <= _PY_FLAGS:
                    raise ValueError(
                        f"to_python_regex: flags {letters!r} have no Python equivalent"
                    )
                i = flags.end()
                if leading and letters and "-" not in letters:
                    out.append(f"(?{letters})")
                elif letters and letters != "-":
                    out.append(f"(?{letters}:")
                    scoped[-1].append(letters)
                continue
            if pattern.startswith("(?<", i) and pattern[i + 3 : i + 4] not in ("=", "!"):
                out.append("(?P<")
                i += 3
            else:
                out.append("(")
                i += 1
            scoped.append([])
        elif ch == ")":
            if len(scoped) == 1:
                raise ValueError("to_python_regex: unbalanced parenthesis")
            out.append(")" * len(scoped.pop()) + ")")
            i += 1
        elif ch == "|" and scoped[-1]:
            out.append(")" * len(scoped[-1]) + "|" + "".join(f"(?{f}:" for f in scoped[-1]))
            i += 1
        else:
            out.append(ch)
            i += 1
        leading = False
    if len(scoped) != 1:
        raise ValueError("to_python_regex: unbalanced parenthesis")
    out.append(")" * len(scoped[0]))
    return "".join(out)


def _rx(pattern: str) -> re.Pattern[str]:
    return re.compile(to_python_regex(pattern))


# --- normalisation -----------------------------------------------------------------------------

_SCRIPTS = _rx(r"(?is)<(script|style|noscript)\b.*?</(script|style|noscript)\s*>")
_COMMENTS = _rx(r"(?s)<!--.*?-->")
_CRLF = _rx(r"\r\n?")
_SOURCE_NEWLINE = _rx(r"\s*\n\s*")
_LI_OPEN = _rx(r"(?i)<li\b[^>]*>")
_LI_CLOSE = _rx(r"(?i)</li\s*>")
_BR = _rx(r"(?i)<br\s*/?>")
_BLOCK = _rx(rf"(?i)</?({N._BLOCK_TAGS})\b[^>]*>")
_TAG = _rx(r"<[^>]+>")
_COMMON_ENTITY = re.compile("|".join(re.escape(e) for e in N._COMMON_ENTITIES))
_ENTITY = _rx(r"&(#\d+|#x[0-9a-fA-F]+|[A-Za-z]+);")
_MOJIBAKE = _rx(N.MOJIBAKE_HINT)
_TYPOGRAPHY = str.maketrans(N._TYPOGRAPHY)
_HYPHEN_BREAK = _rx(r"([A-Za-z])-\n[ ]*([A-Za-z])")
_INDENTED = _rx(r"([^\n]{20})\n[ ]+([^\s\-*+\d#])")
_LOWER_CONT = _rx(r"([^\n:]{40}[^\n.:!?])\n[ ]*(\p{Ll})")
_WRAPPED = _rx(r"([^\n]{40}[^\n.:!?;])\n[ ]*([^\s\-*+#]|\d+[^.)\d])")
_SPACES = _rx(r"([^\s])[ ]{2,}")
_TRAILING_SPACES = _rx(r"[ ]+\n")
_BLANK_LINES = _rx(r"\n{3,}")
_EMAIL = _rx(N.EMAIL)
_PHONE = _rx(N.PHONE)
_STOPWORD_RX = {
    lang: _rx(r"\b(" + "|".join(words.split()) + r")\b") for lang, words in N.STOPWORDS.items()
}
_NOT_ALNUM = _rx(r"[^\p{L}\p{N}]+")
_TITLE_BRACKETS = _rx(r"\([^)]*\)|\[[^\]]*\]")
_WHITESPACE = _rx(r"\s+")
_LEVEL_NUMBER = _rx(T._LEVEL_NUMBER)
_SPACE_BEFORE_SEP = _rx(r"\s+([,/|:])")
_DOUBLE_SPACE = _rx(r"\s{2,}")
_SENIORITY = set(T.SENIORITY_WORDS)


def _missing(value) -> bool:
    return value is None or (isinstance(value, float) and math.isnan(value))


def _html_to_text(text: str) -> str:
    text = _SCRIPTS.sub(" ", text)
    text = _COMMENTS.sub(" ", text)
    text = _CRLF.sub("\n", text)
    text = _SOURCE_NEWLINE.sub(" ", text)
    text = _LI_OPEN.sub("\n- ", text)
    text = _LI_CLOSE.sub("", text)
    text = _BR.sub("\n", text)
    text = _BLOCK.sub("\n\n", text)
    return _TAG.sub("", text)


def _is_hard_wrapped(text: str) -> bool:
    lengths = [len(line) for line in text.split("\n")]
    longest = max(lengths)
    near_width = sum(1 for n in lengths if n >= longest * 0.8)
    return len(lengths) >= 8 and longest <= 100 and near_width >= 5


def _unwrap_lines(text: str, hard_wrapped: bool) -> str:
    text = _HYPHEN_BREAK.sub(r"\1-\2", text)
    text = _INDENTED.sub(r"\1 \2", text)
    text = _LOWER_CONT.sub(r"\1 \2", text)
    if hard_wrapped:
        # a second pass catches runs the first could not see, as in the fast path
        text = _WRAPPED.sub(r"\1 \2", text)
        text = _WRAPPED.sub(r"\1 \2", text)
    return text


def _tidy_whitespace(text: str) -> str:
    text = _SPACES.sub(r"\1 ", text)
    text = _TRAILING_SPACES.sub("\n", text)
    return _BLANK_LINES.sub("\n\n", text).strip()


def description_text(raw: str, fmt: str) -> str:
    """Raw description (text or HTML) -> normalised text before PII redaction."""
    text = _html_to_text(raw) if fmt == "html" else raw
    text = _COMMON_ENTITY.sub(lambda m: N._COMMON_ENTITIES[m.group()], text)
    if _ENTITY.search(text):
        text = html.unescape(text)
    if _MOJIBAKE.search(text):
        text = ftfy.fix_text(text, normalization="NFC")
    text = unicodedata.normalize("NFKC", text).translate(_TYPOGRAPHY)
    text = _CRLF.sub("\n", text).replace("\t", "    ")
    return _tidy_whitespace(_unwrap_lines(text, _is_hard_wrapped(text)))


def detect_language(text: str, min_hits: int = 5) -> str:
    lowered = text.lower()
    best, best_hits = "unknown", min_hits - 1
    for lang, rx in _STOPWORD_RX.items():
        hits = sum(1 for _ in rx.finditer(lowered))
        if hits > best_hits:
            best, best_hits = lang, hits
    return best


def dedup_key(text: str | None) -> str | None:
    if text is None:
        return None
    squashed = _NOT_ALNUM.sub(" ", text.lower()).strip()
    if not squashed:
        return None
    digest = hashlib.blake2b(squashed.encode("utf-8"), digest_size=8).digest()
    return str(int.from_bytes(digest, "little"))


def _title_tokens(title: str) -> list[str]:
    return _WHITESPACE.sub(" ", _TITLE_BRACKETS.sub(" ", title)).strip().split(" ")


def _is_seniority(token: str) -> bool:
    return token.lower().strip(".,;:()") in _SENIORITY


def normalise_title(title: str | None) -> str | None:
    if title is None:
        return None
    tokens = _title_tokens(title)
    if len(tokens) > 1 and _LEVEL_NUMBER.search(tokens[-1]):
        tokens = tokens[:-1]
    cleaned = " ".join(t for t in tokens if not _is_seniority(t))
    cleaned = _SPACE_BEFORE_SEP.sub(r"\1", cleaned)
    cleaned = _DOUBLE_SPACE.sub(" ", cleaned).strip(T._DANGLING)
    return cleaned if cleaned else title.strip()


def seniority(title: str | None) -> str | None:
    if title is None:
        return None
    tokens = _title_tokens(title)
    words = " ".join(t.lower().strip(".,;:()") for t in tokens if _is_seniority(t))
    if len(tokens) > 1 and _LEVEL_NUMBER.search(tokens[-1]):
        words = f"{words} {tokens[-1]}"
    words = words.strip()
    return words or None


def _normalise_row(row) -> dict:
    raw = None if _missing(row.description_raw) else row.description_raw
    title = None if _missing(row.title) else row.title
    pre = row.precomputed_responsibilities
    pre = None if _missing(pre) else [str(x) for x in pre if not _missing(x)]
    text = description_text(raw, row.description_format) if raw is not None else None
    if text is None:
        redacted, pii, language = None, 0, "unknown"
    else:
        pii = sum(1 for _ in _EMAIL.finditer(text)) + sum(1 for _ in _PHONE.finditer(text))
        redacted = _PHONE.sub("[phone]", _EMAIL.sub("[email]", text))
        language = detect_language(text)
    dedup_source = text if text is not None else ("\n".join(pre) if pre is not None else None)
    return {
        "posting_id": row.posting_id,
        "batch_id": row.batch_id,
        "title": title,
        "description_text": redacted,
        "pii_redactions": pii,
        "title_normalized": normalise_title(title),
        "seniority": seniority(title),
        "language": language,
        "dedup_key": dedup_key(dedup_source),
        "precomputed_responsibilities": pre,
    }


def normalise(raw: pd.DataFrame) -> pd.DataFrame:
    """raw.postings rows -> clean postings, one Python call per row."""
    return pd.DataFrame([_normalise_row(row) for row in raw.itertuples(index=False)])


# --- extraction --------------------------------------------------------------------------------

_BENEFITS = _rx(R.BENEFITS)
_QUALIFICATIONS = _rx(R.QUALIFICATIONS)
_DUTY_LEAD_IN = _rx(R.DUTY_LEAD_IN)
_ROLE = _rx(R.ROLE)
_DUTIES = _rx(R.DUTIES)
_ABOUT = _rx(R.ABOUT)
_INLINE_HEADING = _rx(R.INLINE_HEADING)
_GLUED_HEADING = _rx(R.GLUED_HEADING)
_FIELD_LABEL = _rx(R.FIELD_LABEL)
_DUTY_SENTENCE = _rx(R.DUTY_SENTENCE)
_NOT_A_DUTY = _rx(R.NOT_A_DUTY)
_QUAL_START = _rx(R.QUAL_START)
_NOISE = _rx(R.NOISE)
_ACTION_VERB = _rx(R.ACTION_VERB)
_IMPERATIVE = _rx(R.IMPERATIVE)
_TASK_SPLIT = _rx(rf"([.;!])\s+{R.CAPITALISED_VERBS}\b")
_APOSTROPHES = _rx(r"['\u2019`]")
_SENTENCE_END = _rx(r"([a-z0-9)\]][.!?])\s+([A-Z])")
_SEMICOLON = _rx(r";\s+")
_ITEM_BULLET = _rx(rf"^\s*{R.BULLET}\s+")
_MARKUP = _rx(r"\*\*|__")
_LETTER_ITEM = _rx(r"^[a-z]\)\s+")
_BULLET_LINE = _rx(rf"^\s*{R.BULLET}\s+\S")
_TAIL_HEADING = _rx(r"[.!?]\s+([A-Z][^.!?:;,]{2,60}|[A-Z][^.!?:;]{2,100}:)$")
_REST_IS_LIST = _rx(r"^[-*]\s+|\s[-*\u2022]\s+[A-Z]")
_REST_DASH = _rx(r"^[-*]\s+")
_FLAT_BULLETS = _rx(r"\s+[-*\u2022]\s+([A-Z])")
_BARE_BULLET = _rx(rf"^{R.BULLET}\s+")
_BARE_MARKUP = _rx(r"^#+\s*|\*\*|__|^\*|\*$")
_BARE_LEAD = _rx(r"^[^\w(\[]+")
_BARE_ELLIPSIS = _rx(r"(\.\.\.|\u2026)$")
_NOT_HEADING_END = _rx(r"[!,;]$|[^.]\.$")
_BOLD_LINE = _rx(r"^\*\*.+\*\*:?$")
_CAPS_RUN = _rx(r"[A-Z]{3}")
_CAPITAL_WORD = _rx(r"\b[A-Z]")
_LAST_CLAUSE = _rx(r"([^.!?]*)$")
_ITEM_LABEL = _rx(r"^[^:]{1,50}:\s+")
_TITLE_CASE_WORD = _rx(r"(^|\s)[A-Z0-9]")
_SENTENCE_STOP = _rx(r"[.!]$")


def _norm(text: str) -> str:
    return _APOSTROPHES.sub("", text.lower())


def _words(text: str) -> int:
    return len(text.split())


def _section_kind(heading: str) -> str | None:
    text = _norm(heading)
    if _BENEFITS.search(text):
        return "benefits"
    if _QUALIFICATIONS.search(text) and not _DUTY_LEAD_IN.search(text):
        return "qualifications"
    if _ROLE.search(text):
        return "role"
    if _DUTIES.search(text):
        return "duties"
    if _ABOUT.search(text):
        return "about"
    return None


def _split_sentences(text: str) -> list[str]:
    return _SEMICOLON.sub(";\n", _SENTENCE_END.sub(r"\1\n\2", text)).split("\n")


def _clean_item(text: str) -> str:
    text = _MARKUP.sub("", _ITEM_BULLET.sub("", text, count=1)).strip(" \t;,")
    return _LETTER_ITEM.sub("", text, count=1)


def _split_inline_heading(line: str) -> list[str]:
    """A line carrying a heading and its text -> the heading and the text on lines of their own."""
    if _BULLET_LINE.search(line):
        return [line]
    head = rest = None
    m = _INLINE_HEADING.search(line)
    if m is not None:
        head, rest = m.group("head"), m.group("rest")
        if _words(head) > 6 or _FIELD_LABEL.search(_norm(head)):
            head = None
    if head is None:
        glued = _GLUED_HEADING.search(line)
        if glued is not None:
            head = glued.group(1)
            rest = line.lstrip()[len(head) :].lstrip()
    if head is not None and _section_kind(head) is not None:
        if _REST_IS_LIST.search(rest):
            rest = "- " + _FLAT_BULLETS.sub(r"\n- \1", _REST_DASH.sub("", rest, count=1))
        return f"{head}:\n{rest}".split("\n")
    m = _TAIL_HEADING.search(line)
    if m is not None:
        tail = m.group(1)
        if _words(tail) <= (12 if tail.endswith(":") else 6) and _section_kind(tail) is not None:
            return [line[: len(line) - len(tail)], tail]
    return [line]


@dataclass(slots=True)
class _Line:
    no: int
    text: str
    is_bullet: bool
    is_blank: bool
    is_heading: bool
    section: str | None
    kind: str | None


def lines_of(text: str) -> list[_Line]:
    """The lines of a posting with their role and the section each is in."""
    raw_lines: list[str] = []
    for line in text.split("\n"):
        raw_lines.extend(_split_inline_heading(line))
    out: list[_Line] = []
    section = kind = None
    for no, line in enumerate(raw_lines):
        stripped = line.strip()
        is_blank = not stripped
        is_bullet = bool(_BULLET_LINE.search(line))
        bare = _BARE_BULLET.sub("", stripped, count=1)
        bare = _BARE_MARKUP.sub("", bare)
        bare = _BARE_LEAD.sub("", bare, count=1)
        bare = _BARE_ELLIPSIS.sub("", bare, count=1).strip(" :.?-")
        words = _words(bare)
        lead = stripped.endswith((":", "...", "\u2026"))
        if is_bullet:
            heading_like = stripped.endswith(":") and words <= 9
        else:
            heading_like = (
                not is_blank
                and words <= 9
                and len(stripped) <= 80
                and not _NOT_HEADING_END.search(stripped)
                and (
                    lead
                    or stripped.startswith("#")
                    or bool(_BOLD_LINE.search(stripped))
                    or (bare == bare.upper() and bool(_CAPS_RUN.search(bare)))
                    or words <= 6
                    or sum(1 for _ in _CAPITAL_WORD.finditer(bare)) * 2 >= words
                    or not _IMPERATIVE.search(_norm(bare))
                    or stripped.endswith("?")
                )
            )
        line_kind = None
        if heading_like:
            line_kind = _section_kind(bare)
        elif not is_bullet and lead and words <= 150:
            line_kind = _section_kind(_LAST_CLAUSE.search(bare).group(1).strip())
        if line_kind is not None:
            section, kind = bare, line_kind
        out.append(_Line(no, line, is_bullet, is_blank, line_kind is not None, section, kind))
    return out


def _is_item_bullet(line: _Line) -> bool:
    return line.is_bullet and not line.text.strip().endswith(":")


def _is_action(text: str) -> bool:
    label_free = _ITEM_LABEL.sub("", _clean_item(text), count=1)
    return bool(_ACTION_VERB.search(label_free.lower()))


def _duty_sentence(text: str, imperative: bool = True) -> bool:
    lower = _norm(text)
    states = bool(_DUTY_SENTENCE.search(lower)) or (
        imperative and bool(_IMPERATIVE.search(_clean_item(lower)))
    )
    return states and not _NOT_A_DUTY.search(lower)


def _is_item(text: str, min_words: int) -> bool:
    words = _words(text)
    if words < min_words:
        return False
    lower = _norm(text)
    if _NOISE.search(lower) or _QUAL_START.search(lower):
        return False
    # a sub-heading or a job title left in a list ("Quality Assurance and Testing")
    capitals = sum(1 for _ in _TITLE_CASE_WORD.finditer(text))
    return not (words <= 7 and capitals * 3 >= words * 2 and not _SENTENCE_STOP.search(text))


def extract_text(text: str | None, min_words: int = 3) -> list[tuple[str, str | None]]:
    """A posting's description_text -> its responsibilities, as (text, section) in order."""
    lines = lines_of(text or "")
    body = [line for line in lines if not line.is_heading and not line.is_blank]
    found: list[tuple[int, str, str | None]] = []  # (line number, raw text, section)
    bulleted = {line.section for line in body if line.kind == "duties" and line.is_bullet}
    others: dict[tuple, list[tuple[_Line, bool]]] = {}
    for line in body:
        if line.kind == "duties":
            if _is_item_bullet(line):
                found.append((line.no, line.text, line.section))
            elif not line.is_bullet and line.section not in bulleted:
                found.extend((line.no, s, line.section) for s in _split_sentences(line.text))
        elif line.kind == "role":
            if _is_item_bullet(line):
                if not _NOT_A_DUTY.search(_norm(line.text)):
                    found.append((line.no, line.text, line.section))
            elif not line.is_bullet:
                found.extend(
                    (line.no, s, line.section)
                    for s in _split_sentences(line.text)
                    if _duty_sentence(s)
                )
        elif line.kind not in ("benefits", "about") and _is_item_bullet(line):
            others.setdefault((line.section, line.kind), []).append((line, _is_action(line.text)))
    # a list whose bullets mostly start with an action verb is a list of duties
    for group in others.values():
        if len(group) >= 2 and sum(a for _, a in group) / len(group) >= 0.6:
            found.extend(
                (line.no, line.text, line.section)
                for line, action in group
                if action and not _NOT_A_DUTY.search(_norm(line.text))
            )
    if not found:
        # fallback: action-verb bullets and duty sentences outside benefit sections
        for line in body:
            kind = line.kind or ""
            if kind == "benefits":
                continue
            if _is_item_bullet(line) and kind != "about" and _is_action(line.text):
                if not _NOT_A_DUTY.search(_norm(line.text)):
                    found.append((line.no, line.text, None))
                continue
            prose = not line.is_bullet and kind not in ("qualifications", "about")
            found.extend(
                (line.no, s, None) for s in _split_sentences(line.text) if _duty_sentence(s, prose)
            )
    found.sort(key=lambda item: item[0])  # stable: items of one line keep their order
    items: list[tuple[str, str | None]] = []
    for _, raw, section in found:
        # an item made of several tasks ("Deploy X. Monitor Y.") gives one item per task
        for task in _TASK_SPLIT.sub(r"\1\n\2", _clean_item(raw)).split("\n"):
            task = task.strip()
            if _is_item(task, min_words):
                items.append((task, section))
    return items


def extract(clean: pd.DataFrame) -> pd.DataFrame:
    """Clean postings -> responsibilities, one Python call per posting."""
    rows: list[dict] = []
    for row in clean.itertuples(index=False):
        pre = row.precomputed_responsibilities
        if isinstance(pre, list):
            pairs = [(t, None) for t in pre]
            method = "precomputed"
        else:
            text = None if _missing(row.description_text) else row.description_text
            pairs = extract_text(text)
            method = R.METHOD
        for position, (text, section) in enumerate(pairs):
            rows.append(
                {
                    "posting_id": row.posting_id,
                    "batch_id": row.batch_id,
                    "position": position,
                    "text": text,
                    "section": section,
                    "method": method,
                }
            )
    columns = ["posting_id", "batch_id", "position", "text", "section", "method"]
    items = pd.DataFrame(rows, columns=columns)
    return items.sort_values(["batch_id", "posting_id", "position"], ignore_index=True)


# --- classification ----------------------------------------------------------------------------

_POSSESSIVE = _rx(r"['\u2019]s\b")
_NON_WORD = _rx(r"[^\p{L}\p{N},;:]+")
_CLAUSE_SEP = _rx(r"\s*[,;:][\s,;:]*")
_STEM_RX = _rx(_STEM)
_STOPWORD_SET = set(_STOPWORDS)


def normalize_text(text: str | None) -> str:
    if text is None:
        return ""
    text = _POSSESSIVE.sub("", text.lower())
    text = _CLAUSE_SEP.sub(" , ", _NON_WORD.sub(" ", text))
    return text.strip(" ,")


def _terms(text: str) -> list[str]:
    """Stemmed unigrams and bigrams without stopwords, never across a clause separator."""
    tokens = [
        _STEM_RX.sub(r"\1", t, count=1) for t in text.split(" ") if t and t not in _STOPWORD_SET
    ]
    terms = tokens + [f"{a} {b}" for a, b in zip(tokens, tokens[1:], strict=False)]
    return [t for t in terms if "," not in t]


@dataclass
class _Category:
    id: str
    order: int
    factor: float
    #: (pattern id, compiled regex, weight, index of its sub-pattern or None)
    patterns: list[tuple[str, re.Pattern[str], float, int | None]]
    subpatterns: list[str]
    profile: dict[str, float] = field(default_factory=dict)


@dataclass
class _Classifier:
    name: str
    ai_context: re.Pattern[str] | None
    categories: list[_Category]
    idf: dict[str, float]
    oov_idf: float


def _compile_taxonomy(taxonomy: Taxonomy) -> _Classifier:
    def compiled(regex: str) -> re.Pattern[str]:
        return _rx(_case_insensitive(regex))

    cats: list[_Category] = []
    for cat in taxonomy.categories:
        if cat.id == FALLBACK_CATEGORY or not cat.all_patterns:
            continue
        patterns = [(p.id, compiled(p.regex), p.weight, None) for p in cat.patterns]
        for si, sub in enumerate(cat.subpatterns):
            patterns.extend((p.id, compiled(p.regex), p.weight, si) for p in sub.patterns)
        subs = [s.id for s in cat.subpatterns]
        cats.append(_Category(cat.id, len(cats), cat.ai_context_factor, patterns, subs))
    # example profiles: (1 + log tf) * idf, idf over the profiles, L2-normalised
    counts: dict[str, dict[str, int]] = {}
    for cat in taxonomy.categories:
        if cat.id == FALLBACK_CATEGORY or not cat.all_examples:
            continue
        text = normalize_text(" , ".join(t for _, t in cat.all_examples))
        tf: dict[str, int] = {}
        for term in _terms(text):
            tf[term] = tf.get(term, 0) + 1
        counts[cat.id] = tf
    n = len(counts)
    df: dict[str, int] = {}
    for tf in counts.values():
        for term in tf:
            df[term] = df.get(term, 0) + 1
    idf = {term: math.log((n + 1) / (d + 1)) + 1.0 for term, d in df.items()}
    for cat in cats:
        tf = counts.get(cat.id, {})
        weights = {term: (1.0 + math.log(c)) * idf[term] for term, c in tf.items()}
        norm = math.sqrt(sum(w * w for w in weights.values())) or 1.0
        cat.profile = {term: w / norm for term, w in weights.items()}
    ai = compiled(taxonomy.ai_context) if taxonomy.ai_context else None
    return _Classifier(classifier_name(taxonomy), ai, cats, idf, math.log(n + 1) + 1.0)


def classify_text(
    text: str | None,
    clf: _Classifier,
    *,
    max_labels: int = DEFAULT_MAX_LABELS,
    min_score: float = DEFAULT_MIN_SCORE,
    min_relative: float = DEFAULT_MIN_RELATIVE,
    example_weight: float = DEFAULT_EXAMPLE_WEIGHT,
    min_relative_third: float = DEFAULT_MIN_RELATIVE_THIRD,
) -> list[tuple[str, str | None, float, str]]:
    """One responsibility -> its labels as (category, subpattern, score, evidence), best first."""
    norm = normalize_text(text)
    has_ai = clf.ai_context is None or clf.ai_context.search(norm) is not None
    item_idf: dict[str, float] = {}
    if example_weight > 0:
        item_idf = {t: clf.idf.get(t, clf.oov_idf) for t in set(_terms(norm))}
    doc_norm = math.sqrt(sum(v * v for v in item_idf.values()))
    candidates = []
    for cat in clf.categories:
        total = 0.0
        evidence: list[str] = []
        sub_sums = [0.0] * len(cat.subpatterns)
        for pid, rx, weight, sub in cat.patterns:
            m = rx.search(norm)
            if m is None:
                continue
            if weight <= 0:
                total += weight
                continue
            decay = min(max(1.0 - m.start() / POSITION_SPAN, 0.0), 1.0)
            contribution = weight * (1.0 + POSITION_BOOST * decay)
            total += contribution
            evidence.append(pid)
            if sub is not None:
                sub_sums[sub] += contribution
        if example_weight > 0 and doc_norm > 0:
            sim = sum(v * cat.profile.get(t, 0.0) for t, v in item_idf.items()) / doc_norm
            sim = round(sim, 6)
            closeness = min(
                max((sim - EXAMPLE_FLOOR) / (EXAMPLE_CEILING - EXAMPLE_FLOOR), 0.0), 1.0
            )
            if closeness > 0:
                total += example_weight * closeness
                evidence.append(f"example:{cat.id}={round(sim, 2)}")
        raw = max(total, 0.0)
        if not has_ai:
            raw *= cat.factor
        score = round(1.0 - math.exp(-raw), 4)
        if score < min_score:
            continue
        best = max(sub_sums, default=0.0)
        subpattern = None
        if best > 0:
            subpattern = cat.subpatterns[sub_sums.index(best)]
        candidates.append((score, cat.order, cat.id, subpattern, ",".join(evidence)))
    candidates.sort(key=lambda c: (-c[0], c[1]))
    third = max(min_relative, min_relative_third)
    labels = []
    top = candidates[0][0] if candidates else 0.0
    for rank, (score, _, cid, sub, evidence) in enumerate(candidates, start=1):
        if rank > max_labels or (rank > 1 and score < min_relative * top):
            break
        if rank > 2 and score < third * top:
            break
        labels.append((cid, sub, score, evidence))
    return labels or [(FALLBACK_CATEGORY, None, 0.0, "")]


def classify(items: pd.DataFrame, taxonomy: Taxonomy) -> pd.DataFrame:
    """Responsibilities -> label rows, one Python call per responsibility."""
    clf = _compile_taxonomy(taxonomy)
    rows: list[dict] = []
    for item in items.itertuples(index=False):
        text = None if _missing(item.text) else item.text
        for rank, (category, sub, score, evidence) in enumerate(classify_text(text, clf), 1):
            rows.append(
                {
                    "posting_id": item.posting_id,
                    "batch_id": item.batch_id,
                    "position": item.position,
                    "category": category,
                    "subpattern": sub,
                    "rank": rank,
                    "score": score,
                    "classifier": clf.name,
                    "evidence": evidence,
                }
            )
    return pd.DataFrame(rows, columns=columns_of("clean.responsibility_labels"))


# --- the run -----------------------------------------------------------------------------------


@dataclass
class BaselineResult:
    """Wall time per stage and the output of each. ``labels`` is the number of label rows
    (as the fast path reports it); the label rows themselves are ``labels_frame``."""

    seconds: dict[str, float]
    postings: int
    responsibilities: int
    labels: int
    clean: pd.DataFrame
    items: pd.DataFrame
    labels_frame: pd.DataFrame


def run_baseline(raw: pd.DataFrame, taxonomy_path: Path | None = None) -> BaselineResult:
    """Normalise every posting, extract items from every posting, classify every item."""
    taxonomy = load_taxonomy(taxonomy_path)
    seconds, clean, items, labels = timed_stages(
        raw, normalise, extract, lambda found: classify(found, taxonomy)
    )
    return BaselineResult(
        seconds=seconds,
        postings=len(raw),
        responsibilities=len(items),
        labels=len(labels),
        clean=clean,
        items=items,
        labels_frame=labels,
    )
