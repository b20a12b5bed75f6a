"""Rules extractor: find the responsibilities section(s) of a posting and split them into items.

Works on the normalised text, one row per line (Polars `explode`), so no Python loop runs per
posting:
1. split lines that carry a heading inline: "Responsibilities: Design X; build Y" (and " - "
   bullets flattened onto that line), "About the role You will..." (a well-known heading glued
   to its text), or a heading / lead-in glued to the end of a paragraph ("... our platform.
   Key Responsibilities", "... our platform. In this role, you will:");
2. classify every line: blank, bullet (with its depth), heading, or text. A heading is a short
   line (markup, trailing colon, question mark or ellipsis allowed), a bullet that ends with a
   colon, or a lead-in line ending with ":" / "..." ("As a senior engineer, you will:") whose
   last clause names a section; wordings are matched without apostrophes ("What Youll Do");
3. a heading that names a kind of section (duties, role, qualifications, benefits, company...)
   opens that section until the next recognised heading; unrecognised headings change nothing;
4. bullets in a duties section are items; so are the sentences of a duties section without
   bullets; a "role" section ("About the role", "The position") gives its bullets and its
   duty-stating sentences; any other list (not benefits / company) whose bullets mostly start
   with an action verb gives those bullets (sub-headings that read like qualifications,
   unrecognised headings);
5. a posting with no items so far falls back to bullets that start with an action verb, to
   sentences that state duties ("you will...", "responsible for...") and to imperative
   sentences of prose, outside benefit (and for the last, qualification / company) sections;
6. an item holding several tasks ("Deploy X. Monitor Y.") is split, one item per task;
7. items that read as qualifications, salary, benefits, equal-opportunity or work-arrangement
   text, and sub-headings left in a list, are dropped.
"""

from __future__ import annotations

import polars as pl

from pipeline.parallel import key_parts, map_in_threads
from pipeline.text.normalise import BULLET, computed_on_rows

METHOD = "rules"
#: The row number of a posting in the frame being extracted: the lines and items of a posting
#: are grouped, windowed and joined on it, not on (batch_id, posting_id), two strings copied
#: onto each of some 60 lines per posting.
POSTING_NO = "_posting_no"

# Heading vocabularies, matched against a heading's text (lower-cased, without markup and
# without apostrophes, so "What You'll Do" and "What Youll Do" read alike).
DUTIES = (
    r"responsib|what (youll|you will|you would|youd)( be)? (do|doing|work|working|own|owning|build"
    r"|building|achieve|tackle|accomplish|lead|create|deliver|focus|get to do|contribute)"
    r"|what you( will|ll)? do\b|what (will|would|do) you (do|be doing|work on|own|build|lead)\b"
    r"|(will )?challenge you|in this (role|position)|your (impact|role|mission|day|work"
    r"|responsibilities|contributions|focus|tasks|duties|scope|missions?|job)\b"
    r"|^(the|this) (job|work|position)$|\bduties\b|^(key |main |core |primary )?tasks\b"
    r"|accountabilit|day[- ]to[- ]day|day in the life|what the (job|role|position) (involves|entails"
    r"|looks like)|what we need you to do|\byou( will|ll|would)\b|how you( will|ll)? (contribute"
    r"|make an impact|spend)|^impact|^missions\b|focus areas?|^(primary |main |key )?focus\b"
    r"|(essential|key|primary|job) functions|^(the )?work you|^scope\b|^deliverables"
    r"|aufgaben|responsabilit|^tus funciones|^vos missions|^deine rolle"
)
# sections about the role as a whole: their bullets and duty-stating sentences are items
ROLE = (
    r"^about (the|this|your) (role|position|job|opportunity|work)|^(the|this) (role|opportunity)\b"
    r"|^(role|job|position) (overview|summary|description|details|profile)|^(the )?opportunity"
    r"|^(overview|summary|description)$"
)
QUALIFICATIONS = (
    r"qualif|requir|what (you|we)( will|ll)? (bring|have|need|look|want)|who (you are|are you)"
    r"|you to have|\bfit\b|\bif$|\brated\b|you (have|bring|are|should|must)\b|youre\b"
    r"|you( will|ll)( also)? (need|have|bring)|(dont|do not) need"
    r"|skills|experience|ideal|good fit|great fit|right fit|nice to have|nice-to-have|preferred"
    r"|bonus|must[- ]have|about you|looking for|minimum|basic|competenc|profile|dein profil"
    r"|ihr profil|was du mitbringst|perfil|^education|credentials|^background|your background|thrive"
    r"|^success|succeed|to be successful"
    r"|excel\b|stand out|knowledge|abilities|\bksas?\b|tech stack|our stack|^stack\b|tools we use"
    r"|technologies|if you\b|candidate"
)
BENEFITS = (
    r"benefit|perks|offer\b|what you( will|ll)? get$|in return|^why\b|^join\b|why join"
    r"|you( will|ll)? join$|you( will|ll) (receive|enjoy)|why you( will|ll)? (like|love|enjoy)"
    r"|working here|what we provide|^in addition|compensation|salary|\bpay\b"
    r"|rewards|equal (opportunity|employment)|\beeo\b|whats in it|in it for you|wir bieten|life at"
    r"|diversity|inclusion|accommodation|interview|hiring process"
    r"|next steps|what happens next|work environment|logistics|privacy|disclaimer"
    r"|notice\b|visa|relocation|how to apply|to apply\b|apply now|application process"
)
ABOUT = (
    r"^about\b|who we are|our (mission|company|team|story|values|culture|product)|company"
    r"|^the team|^(we are|what we do)\b|what (were|we are) (building|working on|doing)"
)

# wordings that keep a heading a duties heading though it names skills or what "you'll have"
DUTY_LEAD_IN = (
    r"responsib|what you( will|ll)? (be )?do\b|\bduties\b|opportunity to|chance to|get to"
    r"|any given day|day[- ]to[- ]day"
)
# a heading at the start of a line, followed by a colon or by a dash that opens a list
INLINE_HEADING = (
    r"^\s*(?:#+\s*)?(?:\*\*)?(?<head>[^:.!?]{3,60}?)(?:\*\*)?\s*(?::\s*|\s-\s+)"
    r"(?<rest>[-*]?\s*\S.*)$"
)
# well-known headings that may be glued to the text they introduce, without punctuation
GLUED_HEADING = (
    r"^\s*((?i:about the (?:role|position|job|opportunity)|(?:key |main |primary |your )?"
    r"(?:responsibilities|duties)|role (?:overview|summary|description)|the role|job (?:purpose|summary"
    r"|description)(?: and impact)?|what you(?:'ll| will) do))\s+[A-Z]"
)
# labels of one-line fields ("Location: Remote") that never open a section
FIELD_LABEL = r"location|designation|reports? to|employment type|start date|department|travel|hours"

# Sentence-level signals for prose outside a duties section.
DUTY_SENTENCE = (
    r"\byou( will|ll)\b|\byou(d| would) be\b|\bresponsible for\b|\b(role|position|job) (involves|includes"
    r"|entails|will)\b|\byour (role|work|job|responsibilities) (is|will|include)\b"
    r"|\bthis (role|position) (will|is responsible)\b|\bthe (engineer|candidate|hire) will\b"
    r"|\byou( will|ll)? (be )?(own|lead|build|design|develop|drive|work)\b"
)
NOT_A_DUTY = (
    r"\b(\d+\+? years|degree|bachelor|masters|phd|proficien|familiar|experience (with|in)\b|salary"
    r"|benefit|equal opportunity|eeo|we offer|compensation|visa|apply|you( will|ll)? (need|have"
    r"|bring)|you are|youre|youve|ideal candidate|join (us|our)|looking for)\b"
)
# an item that opens like a requirement ("Experience with...", "Strong knowledge of...")
QUAL_START = (
    r"^([a-z/&, -]{2,40}: )?(\d+\+? years|(hands-on |proven |demonstrated |prior |professional )?"
    r"experience (with|in|of|building|using|developing|working)|(deep|strong|solid|excellent|good"
    r"|proven|working|extensive|advanced) (understanding|knowledge|experience|communication|background"
    r"|track record|proficiency|skills|grasp|command)|familiarity|proficien|knowledge of|ability to"
    r"|bachelor|masters?\b|ph\.?d|degree|you (have|are|bring|possess)|fluent|expertise in"
    r"|(an? )?((high|strong|genuine|deep) )?(passion|desire|willingness|eagerness|curiosity) (for|to)"
    r"|experience [a-z]+ing\b|youre\b|youve\b|no prior|(an? )?(hunger|appetite|bias) for"
    r"|you (are|have|bring|possess|believe|thrive|enjoy|can|love|care|want|like|know|understand"
    r"|hold|get excited)\b|thrives?\b|(highly |very )?(comfortable|passionate|motivated|curious"
    r"|detail-oriented|self-starter|skilled|experienced|knowledgeable)\b"
    r"|(excellent|strong|great|good|effective)( [a-z]+){0,5} skills\b"
    r"|(clear|excellent|strong|good|effective|great) (written |verbal |oral )?communication"
    r"|(at least|minimum of) \d)"
)
# dropped from every section: salary, pay, equal-opportunity and requirement lines
NOISE = (
    r"\$\s?\d|\b\d+\+? (years|yrs)\b|\bsalary\b|\bequal (opportunity|employment)\b"
    r"|\bbachelor|\bdegree in\b|\bper (hour|year|annum)\b|\bbase pay\b|\b401\(?k"
    r"|\bdays (a|per|each) week\b|\bfrom the office\b|\bhybrid (model|schedule|work)"
    r"|^(why join|join (us|our|other|a|the)\b)|\bgrow your (skills|career)|^have fun\b"
    r"|\bwe want you\b|\byou( will|ll)? report (in)?to\b|\breports? (directly )?to (the|our)\b"
    r"|\byou(ll| will) (be )?join(ing)?\b"
)
# verbs that open a task ("Build...", "Design..."), in their base form
_VERB_LIST = (
    "own lead build design develop create implement drive deliver ship deploy partner "
    "collaborate work define architect write maintain improve optimi[sz]e scale research "
    "evaluate prototype integrate mentor manage establish analy[sz]e identify contribute "
    "support ensure monitor train fine-tune automate translate troubleshoot debug test "
    "review document communicate present coordinate operate run set shape champion guide "
    "advise help investigate explore experiment conduct apply leverage use enhance refactor "
    "repair compare rank inject instrument profile tune measure stay keep participate engage "
    "serve act take make bring turn solve share plan prioriti[sz]e oversee curate label "
    "annotate benchmark validate assess recommend collect gather prepare organi[sz]e teach host "
    "handle respond resolve assist process draft update track report configure install migrate "
    "secure protect detect code program facilitate educate enable consult promote"
)
VERBS = _VERB_LIST.split()
ACTION_VERBS = "(" + "|".join(VERBS) + ")"
# a verb that opens a new sentence inside an item: "Ship X. Monitor Y."
CAPITALISED_VERBS = "(" + "|".join(v[0].upper() + v[1:] for v in VERBS) + ")"
# the first word of a bullet that states a task, also as "Builds" / "Building"
ACTION_VERB = rf"^{ACTION_VERBS}(s|ing)?\b"
# a sentence in the imperative ("Build X.")
IMPERATIVE = rf"^{ACTION_VERBS}\b"


def _norm(text: pl.Expr) -> pl.Expr:
    return text.str.to_lowercase().str.replace_all(r"['\u2019`]", "")


def _section_kind(heading: pl.Expr) -> pl.Expr:
    """The kind of section a heading names (null: none, or a null heading)."""
    # one batch function, so the headings are normalised once: an eager when/then chain
    # evaluates a shared sub-expression (and its input) again in every branch
    return _on_present(heading, _kind_of_heading, pl.String)


def _section_kinds(headings: pl.Series) -> pl.Series:
    return _on_non_null(headings, _kind_of_heading, pl.String)


def _kind_of_heading(heading: pl.Expr) -> pl.Expr:
    return _kind_of_normed(_norm(heading))


def _on_present(expr: pl.Expr, expr_of, dtype: pl.DataType) -> pl.Expr:
    """`_on_non_null` as an expression: `expr_of(expr)` on the non-null rows only."""
    return expr.map_batches(
        lambda texts: _on_non_null(texts, expr_of, dtype), return_dtype=dtype, is_elementwise=True
    )


def _on_non_null(texts: pl.Series, expr_of, dtype: pl.DataType) -> pl.Series:
    """`expr_of(texts)` computed on the non-null texts only (null elsewhere). A text column
    masked with when/then still costs its masked rows in string kernels (case mapping,
    replacements), and the stages mask most lines: a heading candidate is one line in eight."""
    nulls = pl.repeat(None, len(texts), dtype=dtype, eager=True).alias(texts.name)
    return computed_on_rows(texts, texts.is_not_null(), expr_of, base=nulls)


def _kind_of_normed(text: pl.Expr) -> pl.Expr:
    # qualifications first: "What you'll bring" must not read as "what you'll ..." duties
    return (
        pl.when(text.str.contains(BENEFITS))
        .then(pl.lit("benefits"))
        .when(text.str.contains(QUALIFICATIONS) & ~text.str.contains(DUTY_LEAD_IN))
        .then(pl.lit("qualifications"))
        .when(text.str.contains(ROLE))
        .then(pl.lit("role"))
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


#: A word count above every limit the heading rules test (see `lines_of`).
_LONG = 1_000_000


def _words(text: pl.Expr) -> pl.Expr:
    return text.str.count_matches(r"\S+")


def _inline_heading_split(lines: pl.DataFrame) -> pl.DataFrame:
    """Each `line` as `_split`: a heading that shares its line with text is put on a line of
    its own (`_split` holds a newline then); any other line is left as it is."""
    line = pl.col("line")
    text_line = ~line.str.contains(rf"^\s*{BULLET}\s+\S")
    staged = (
        lines.with_columns(
            # "Responsibilities: Design X; build Y" / "Key duties - Build X - Ship Y"
            _parts=pl.when(text_line).then(line.str.extract_groups(INLINE_HEADING)),
            # "About the role You will build X" (a well-known heading glued to its text)
            _glued=pl.when(text_line).then(line.str.extract(GLUED_HEADING, 1)),
            # "... a paragraph that ends. Key Responsibilities" (a heading glued to the end of a line)
            # or a lead-in ending one ("... our platform. In this role, you will:")
            _tail=pl.when(text_line).then(
                line.str.extract(r"[.!?]\s+([A-Z][^.!?:;,]{2,60}|[A-Z][^.!?:;]{2,100}:)$", 1)
            ),
        )
        .with_columns(
            _head=pl.col("_parts").struct.field("head"),
            _rest=pl.col("_parts").struct.field("rest"),
        )
        .with_columns(
            _head=pl.when(
                (_words(pl.col("_head")) <= 6) & ~_norm(pl.col("_head")).str.contains(FIELD_LABEL)
            ).then(pl.col("_head")),
            _tail=pl.when(
                _words(pl.col("_tail"))
                <= pl.when(pl.col("_tail").str.ends_with(":")).then(12).otherwise(6)
            ).then(pl.col("_tail")),
        )
        .with_columns(
            _rest=pl.when(pl.col("_head").is_null() & pl.col("_glued").is_not_null())
            .then(
                line.str.strip_chars_start()
                .str.slice(pl.col("_glued").str.len_chars())
                .str.strip_chars_start()
            )
            .otherwise(pl.col("_rest")),
            _head=pl.coalesce("_head", "_glued"),
        )
    )
    head, tail = pl.col("_head"), pl.col("_tail")
    rest = pl.col("_rest")
    flattened = rest.str.replace(r"^[-*]\s+", "").str.replace_all(
        r"\s+[-*\u2022]\s+([A-Z])", "\n- $1"
    )
    rest_lines = (
        pl.when(rest.str.contains(r"^[-*]\s+|\s[-*\u2022]\s+[A-Z]"))
        .then(pl.lit("- ") + flattened)
        .otherwise(rest)
    )
    return staged.with_columns(
        pl.when(_section_kind(head).is_not_null())
        .then(head + pl.lit(":\n") + rest_lines)
        .when(_section_kind(tail).is_not_null())
        .then(line.str.slice(0, line.str.len_chars() - tail.str.len_chars()) + pl.lit("\n") + tail)
        .otherwise(line)
        .alias("_split")
    ).drop("_parts", "_head", "_rest", "_tail", "_glued")


def _not_blank(lines: pl.DataFrame) -> pl.DataFrame:
    return lines.filter(pl.col("line").str.strip_chars().str.len_chars() > 0)


def lines_of(postings: pl.DataFrame) -> pl.DataFrame:
    """One row per non-blank line with its role (bullet / heading / text) and section;
    postings and lines are identified by POSTING_NO, lines are in `line_no` order.

    A blank line neither opens nor holds anything, so blank lines are dropped first: about a
    quarter of the lines, which every regex below would otherwise scan. Everything but the
    section is a function of the line's text alone, and lines repeat across postings (an
    employer's blurb, benefits and headings in each of its postings): it is worked out once
    per distinct line and joined back, and only the sections follow the postings' order."""
    given = (
        postings.select(
            POSTING_NO,
            pl.col("description_text").fill_null("").str.split("\n").alias("line"),
        )
        .explode("line")
        .with_columns(pl.col("line").fill_null(""))
        .pipe(_not_blank)
    )
    distinct = given.select("line").unique()
    # the lines an inline heading splits (few, often none): joined back, then split
    split = distinct.pipe(_inline_heading_split).filter(pl.col("_split") != pl.col("line"))
    if split.height:
        given = (
            given.join(split, on="line", how="left", maintain_order="left")
            .select(POSTING_NO, line=pl.coalesce("_split", "line").str.split("\n"))
            .explode("line")
            # a heading split off its line may leave an empty rest
            .pipe(_not_blank)
        )
        distinct = given.select("line").unique()
    lines = given.with_columns(line_no=pl.int_range(pl.len()).over(POSTING_NO))
    features = distinct.pipe(_line_features)
    return lines.join(features, on="line", how="left", maintain_order="left").with_columns(
        section=pl.when(pl.col("is_heading"))
        .then(pl.col("bare"))
        .otherwise(None)
        .forward_fill()
        .over(POSTING_NO, order_by="line_no"),
        section_kind=pl.col("section_kind").forward_fill().over(POSTING_NO, order_by="line_no"),
    )


def _line_features(lines: pl.DataFrame) -> pl.DataFrame:
    """Per distinct `line`: whether it is a bullet, its `bare` text, indent `depth`, whether
    it is a heading (`is_heading`), and the kind of section it opens (`section_kind`, null
    for a line that opens none)."""
    stripped = pl.col("line").str.strip_chars()
    lines = lines.with_columns(
        is_bullet=pl.col("line").str.contains(rf"^\s*{BULLET}\s+\S"),
        _stripped=stripped,
        bare=stripped.str.replace(rf"^{BULLET}\s+", "")
        .str.replace_all(r"^#+\s*|\*\*|__|^\*|\*$", "")
        .str.replace(r"^[^\w(\[]+", "")
        .str.replace(r"(\.\.\.|\u2026)$", "")
        .str.strip_chars(" :.?-"),
    )
    stripped, bare, is_bullet = pl.col("_stripped"), pl.col("bare"), pl.col("is_bullet")
    lines = lines.with_columns(
        _lead=stripped.str.contains(r"(:|\.\.\.|\u2026)$"), _short=stripped.str.len_chars() <= 80
    )
    # Regex work only where its answer is read (a null row costs nothing): word counts of
    # short lines and lead-ins (a longer line is never a heading, and only a lead-in's length
    # matters), the wording tests of short text lines. Elsewhere the word count is a
    # stand-in above every limit below.
    lines = lines.with_columns(
        _words=_words(pl.when(pl.col("_short") | pl.col("_lead")).then(bare)).fill_null(_LONG)
    )
    words, ends_lead_in = pl.col("_words"), pl.col("_lead")
    lines = lines.with_columns(
        _candidate=~is_bullet
        & (words <= 9)
        & pl.col("_short")
        & ~stripped.str.contains(r"[!,;]$|[^.]\.$")
    )
    candidate = pl.col("_candidate")
    short_text = pl.when(candidate).then(bare)
    # all capitals ("RESPONSIBILITIES"), or not an imperative: case mapping is costly, so on
    # the candidates only (null elsewhere, where `candidate` decides anyway)
    worded_as_heading = _on_present(
        short_text,
        lambda t: (
            (t == t.str.to_uppercase()) & t.str.contains(r"[A-Z]{3}")
            | ~_norm(t).str.contains(IMPERATIVE)
        ),
        pl.Boolean,
    )
    heading_like = (
        candidate
        & (
            ends_lead_in
            | stripped.str.starts_with("#")
            | stripped.str.contains(r"^\*\*.+\*\*:?$")
            | (words <= 6)
            # "What You Will Need to Accomplish the Job", "What do we offer you?"
            | (short_text.str.count_matches(r"\b[A-Z]") * 2 >= words)
            | worded_as_heading
            | stripped.str.ends_with("?")
        ).fill_null(False)
    ) | (is_bullet & stripped.str.ends_with(":") & (words <= 9))
    # "As a senior engineer on this team, you will:" - the last clause names the section
    lead_in = ~is_bullet & ends_lead_in & (words <= 150)
    # materialised first: each flag is read in more than one branch below
    lines = lines.with_columns(_heading_like=heading_like, _lead_in=lead_in)
    heading_like, lead_in = pl.col("_heading_like"), pl.col("_lead_in")
    lines = lines.with_columns(
        section_kind=_section_kind(
            pl.when(heading_like)
            .then(bare)
            .when(lead_in)
            .then(bare.str.extract(r"([^.!?]*)$", 1).str.strip_chars())
        )
    )
    return lines.with_columns(
        depth=pl.col("line").str.extract(r"^(\s*)", 1).str.len_chars() // 2,
        # a short text line opens a section only when its wording says which section it is
        is_heading=pl.col("section_kind").is_not_null(),
    ).drop("_stripped", "_words", "_lead", "_short", "_candidate", "_heading_like", "_lead_in")


def _is_action(line: pl.Expr) -> pl.Expr:
    """The item starts with an action verb, after a label if any ("Serving: Build X")."""
    return (
        _clean_item(line)
        .str.replace(r"^[^:]{1,50}:\s+", "")
        .str.to_lowercase()
        .str.contains(ACTION_VERB)
    )


def _sentences(lines: pl.DataFrame) -> pl.DataFrame:
    return lines.with_columns(pl.col("line").pipe(_split_sentences)).explode("line")


def _duty_sentence(text: pl.Expr, imperative: pl.Expr | bool = True) -> pl.Expr:
    """A sentence that states a duty: "You will...", "...is responsible for...", and, where
    `imperative` holds, "Build X."."""
    lower = _norm(text)
    return (
        lower.str.contains(DUTY_SENTENCE)
        | (_clean_item(lower).str.contains(IMPERATIVE) & imperative)
    ) & ~lower.str.contains(NOT_A_DUTY)


def extract_rules(postings: pl.DataFrame, min_words: int = 3) -> pl.DataFrame:
    """clean.postings rows (with description_text) -> clean.responsibilities rows."""
    keys = [POSTING_NO]
    numbered = postings.with_columns(pl.int_range(pl.len(), dtype=pl.UInt32).alias(POSTING_NO))
    lines = lines_of(numbered)
    body = lines.filter(~pl.col("is_heading"))
    item_bullet = pl.col("is_bullet") & ~pl.col("line").str.strip_chars().str.ends_with(":")
    in_duties = body.filter(pl.col("section_kind") == "duties")
    has_bullets = in_duties.group_by(*keys, "section").agg(
        pl.col("is_bullet").any().alias("section_has_bullets")
    )
    in_duties = in_duties.join(has_bullets, on=[*keys, "section"], how="left", nulls_equal=True)
    bullet_items = in_duties.filter(item_bullet)
    # a duties section written as prose: every sentence is an item
    prose_items = _sentences(
        in_duties.filter(~pl.col("section_has_bullets") & ~pl.col("is_bullet"))
    )
    # a section about the role: its bullets, and the sentences of its prose that state duties
    in_role = body.filter(pl.col("section_kind") == "role")
    role_items = pl.concat(
        [
            in_role.filter(item_bullet & ~_norm(pl.col("line")).str.contains(NOT_A_DUTY)),
            _sentences(in_role.filter(~pl.col("is_bullet"))).filter(_duty_sentence(pl.col("line"))),
        ]
    )
    # a list whose bullets mostly start with an action verb is a list of duties, whatever its
    # heading says (an unrecognised heading, a sub-heading that reads like a qualification)
    other = body.filter(
        item_bullet
        & ~pl.col("section_kind").fill_null("").is_in(["duties", "role", "benefits", "about"])
    ).with_columns(is_action=_is_action(pl.col("line")))
    action_lists = other.filter(
        pl.col("is_action")
        & (pl.col("is_action").mean().over(*keys, "section", "section_kind") >= 0.6)
        & (pl.len().over(*keys, "section", "section_kind") >= 2)
        & ~_norm(pl.col("line")).str.contains(NOT_A_DUTY)
    ).drop("is_action")
    section_items = pl.concat(
        [bullet_items, prose_items, role_items, action_lists], how="diagonal_relaxed"
    ).select(*keys, "line_no", "section", text=_clean_item(pl.col("line")))

    # fallback for postings without items so far, outside benefit sections: bullets that start
    # with an action verb (outside company sections too), sentences that state duties
    # ("you will...", "responsible for...") anywhere, and imperative sentences of prose outside
    # qualification and company sections
    with_items = section_items.select(keys).unique()
    kind = pl.col("section_kind").fill_null("")
    rest = (
        lines.join(with_items, on=keys, how="anti")
        .filter(~pl.col("is_heading") & (kind != "benefits"))
        .with_columns(is_action=item_bullet & (kind != "about") & _is_action(pl.col("line")))
    )
    action_bullets = rest.filter(
        pl.col("is_action") & ~_norm(pl.col("line")).str.contains(NOT_A_DUTY)
    )
    prose_ok = ~pl.col("is_bullet") & ~kind.is_in(["qualifications", "about"])
    duty_sentences = _sentences(rest.filter(~pl.col("is_action"))).filter(
        _duty_sentence(pl.col("line"), imperative=prose_ok)
    )
    fallback = pl.concat(
        [action_bullets.drop("is_action"), duty_sentences.drop("is_action")]
    ).select(*keys, "line_no", section=pl.lit(None, pl.String), text=_clean_item(pl.col("line")))

    # an item made of several tasks ("Deploy X. Monitor Y.") gives one item per task
    items = (
        pl.concat([section_items, fallback])
        .with_columns(
            pl.col("text")
            .str.replace_all(rf"([.;!])\s+{CAPITALISED_VERBS}\b", "$1\n$2")
            .str.split("\n")
        )
        .explode("text")
        .with_columns(pl.col("text").str.strip_chars())
    )
    # word count and lower-cased text materialised once: each is read more than once below
    items = items.with_columns(_n=_words(pl.col("text")), _lower=_norm(pl.col("text")))
    n_words, lower = pl.col("_n"), pl.col("_lower")
    items = items.filter(
        (n_words >= min_words)
        & ~lower.str.contains(NOISE)
        & ~lower.str.contains(QUAL_START)
        # a sub-heading or a job title left in a list ("Quality Assurance and Testing")
        & ~(
            (n_words <= 7)
            & (pl.col("text").str.count_matches(r"(^|\s)[A-Z0-9]") * 3 >= n_words * 2)
            & ~pl.col("text").str.contains(r"[.!]$")
        )
    )
    return (
        items.with_row_index("_order")
        .sort(*keys, "line_no", "_order")
        .with_columns(
            position=pl.int_range(pl.len()).over(keys).cast(pl.Int32),
            method=pl.lit(METHOD),
        )
        .join(
            numbered.select(POSTING_NO, "posting_id", "batch_id"),
            on=POSTING_NO,
            maintain_order="left",
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
    """Precomputed items where a record has them, the rules extractor for the rest.

    Items depend on their own posting only, so parts of the postings (all rows of a posting
    in one part) are extracted in threads (one per core)."""
    parts = key_parts(postings, ["batch_id", "posting_id"])
    return pl.concat(map_in_threads(_extract_part, parts), how="vertical").sort(
        "batch_id", "posting_id", "position", maintain_order=True
    )


def _extract_part(postings: pl.DataFrame) -> pl.DataFrame:
    enriched = postings.filter(pl.col("precomputed_responsibilities").is_not_null())
    plain = postings.filter(pl.col("precomputed_responsibilities").is_null())
    return pl.concat([precomputed_items(enriched), extract_rules(plain)], how="vertical_relaxed")
