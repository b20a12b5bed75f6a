"""A seeded generator of synthetic job postings, for benchmarks at any scale.

Realistic in what costs time: descriptions of about 5,000 characters on average (a company
paragraph or two, a role paragraph, lists of duties, requirements and benefits, an
equal-opportunity line), written as HTML, Markdown or plain text with the usual heading
wordings; a mix of file formats (JSON lines, JSON documents, CSV, HTML pages with JSON-LD,
one YAML file per posting); reposts (exact and with a line added) and a few bad records, so
dedup and quarantine do real work. Every word comes from the phrase banks below, written for
this project.

Generation is vectorised: phrase pools of a few thousand sentences and bullets are built once
in Python, then each posting picks its parts by index (NumPy) and Polars assembles the text, so
a million postings take about a minute.
"""

from __future__ import annotations

import json
import random
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import numpy as np
import polars as pl
import yaml

# --- phrase banks ------------------------------------------------------------------------------

SENIORITY = ["", "", "", "Senior ", "Senior ", "Staff ", "Lead ", "Principal ", "Junior ", "Sr. "]
ROLES = [
    "AI Engineer", "Machine Learning Engineer", "LLM Engineer", "Applied AI Engineer",
    "ML Platform Engineer", "Data Scientist", "AI Product Engineer", "MLOps Engineer",
    "Generative AI Engineer", "AI Infrastructure Engineer", "Software Engineer, AI",
    "Research Engineer", "AI Solutions Engineer", "Backend Engineer (AI Platform)",
    "Conversational AI Engineer", "Computer Vision Engineer", "NLP Engineer",
    "AI Agent Engineer", "Forward Deployed Engineer", "Data Engineer (ML)",
]  # fmt: skip
COMPANY_HEADS = [
    "Amber", "Birch", "Cobalt", "Delta", "Ember", "Fjord", "Garnet", "Harbor", "Indigo",
    "Juniper", "Kelp", "Larch", "Maple", "Nimbus", "Onyx", "Pebble", "Quill", "Rowan",
    "Summit", "Tundra", "Umber", "Vale", "Willow", "Yarrow", "Zephyr", "Aster", "Basalt",
    "Cedar", "Dune", "Elm", "Flint", "Grove", "Heath", "Iris", "Jade", "Kestrel",
]  # fmt: skip
COMPANY_TAILS = [
    "Labs", "Systems", "Health", "Analytics", "Robotics", "Bank", "Logistics", "Media",
    "Software", "Insurance", "Energy", "Retail", "Security", "Cloud", "Learning", "Bio",
    "Legal", "Travel", "Foods", "Mobility",
]  # fmt: skip
CITIES = [
    "Remote", "Remote (US)", "Remote (Europe)", "New York, NY", "San Francisco, CA",
    "Austin, TX", "Seattle, WA", "Boston, MA", "Chicago, IL", "Denver, CO", "Toronto, ON",
    "London, UK", "Berlin, Germany", "Amsterdam, Netherlands", "Paris, France", "Dublin, Ireland",
    "Madrid, Spain", "Stockholm, Sweden", "Zurich, Switzerland", "Bangalore, India",
    "Singapore", "Sydney, Australia", "Tel Aviv, Israel", "Warsaw, Poland", "Lisbon, Portugal",
]  # fmt: skip

# duties: (verbs, objects) per area of work; a bullet is verb + object + an optional clause
DUTY_AREAS = {
    "llm_apps": (
        ["Build", "Design", "Ship", "Develop", "Prototype", "Own"],
        ["LLM-powered features for our customer-facing product",
         "prompt templates and structured output parsing for internal assistants",
         "chat experiences that answer questions from product documentation",
         "tool-calling workflows that let the assistant act on user requests",
         "summarisation and drafting features used by thousands of analysts"],
    ),
    "retrieval": (
        ["Build", "Improve", "Tune", "Maintain", "Design"],
        ["retrieval-augmented generation pipelines over our document corpus",
         "embedding and chunking strategies for semantic search",
         "hybrid search that combines keyword and vector retrieval",
         "re-ranking models that lift the relevance of search results",
         "the vector database layer and its indexing jobs"],
    ),
    "evaluation": (
        ["Define", "Build", "Run", "Own", "Automate"],
        ["evaluation suites that measure answer quality before each release",
         "offline benchmarks and golden datasets for model comparisons",
         "human review workflows to label model outputs",
         "regression tests that catch prompt changes which hurt accuracy",
         "A/B experiments that compare model versions in production"],
    ),
    "operations": (
        ["Deploy", "Monitor", "Operate", "Scale", "Harden"],
        ["model serving infrastructure on Kubernetes",
         "inference services with clear latency and availability targets",
         "observability for model quality, cost and drift in production",
         "CI/CD pipelines that release models safely",
         "GPU clusters and the schedulers that share them between teams"],
    ),
    "data": (
        ["Build", "Maintain", "Design", "Own", "Improve"],
        ["data pipelines that prepare training and evaluation data",
         "feature stores and the jobs that keep them fresh",
         "labelling pipelines and data quality checks for training sets",
         "ingestion of unstructured documents from many internal systems",
         "batch and streaming jobs that feed our models"],
    ),
    "training": (
        ["Fine-tune", "Train", "Adapt", "Distil", "Evaluate"],
        ["open-weight language models on domain data",
         "classification models for routing customer requests",
         "forecasting models for demand planning",
         "ranking models for recommendations",
         "small task-specific models that replace expensive API calls"],
    ),
    "agents": (
        ["Build", "Design", "Orchestrate", "Prototype", "Ship"],
        ["multi-step agents that complete workflows across internal tools",
         "planning and memory components for autonomous assistants",
         "guarded agent actions with human approval for risky steps",
         "integrations that give agents secure access to company data"],
    ),
    "performance": (
        ["Optimise", "Reduce", "Profile", "Speed up", "Cut"],
        ["inference latency through batching, caching and quantisation",
         "the cost per request of our model-backed features",
         "token usage across our prompt chains",
         "memory use and throughput of our serving stack"],
    ),
    "security": (
        ["Protect", "Review", "Test", "Secure", "Audit"],
        ["our AI features against prompt injection and data leakage",
         "model outputs for personal data before they reach users",
         "access controls around training data and model artefacts",
         "the compliance posture of our AI systems with legal and security teams"],
    ),
    "collaboration": (
        ["Partner with", "Collaborate with", "Work closely with", "Support", "Mentor"],
        ["product managers and designers to scope new AI capabilities",
         "customers to understand their workflows and turn them into requirements",
         "engineers across the company on best practices for building with models",
         "researchers to bring promising prototypes into production",
         "junior engineers through code review and pairing"],
    ),
    "software": (
        ["Write", "Maintain", "Refactor", "Design", "Review"],
        ["well-tested backend services in Python and Go",
         "APIs that expose model capabilities to other teams",
         "documentation and runbooks for the systems you own",
         "internal tooling that speeds up experimentation"],
    ),
}  # fmt: skip
DUTY_CLAUSES = [
    "", "", "", " across the platform", " for enterprise customers", " end to end",
    " with a small, senior team", " using Python and modern cloud tooling",
    ", from first prototype to production", " and share what you learn with the team",
    " so that product teams can move faster", " in close collaboration with stakeholders",
]  # fmt: skip
TECH = [
    "Python", "PyTorch", "TensorFlow", "Kubernetes", "Docker", "AWS", "GCP", "Azure", "SQL",
    "Spark", "Airflow", "dbt", "Terraform", "FastAPI", "TypeScript", "Go", "Rust", "Ray",
    "vector databases", "LangChain", "Hugging Face Transformers", "Kafka", "PostgreSQL",
]  # fmt: skip
REQUIREMENT_FORMS = [
    "{n}+ years of experience building production software with {a}",
    "Strong knowledge of {a} and {b}",
    "Hands-on experience with {a} in a production setting",
    "Experience shipping features built on large language models",
    "Familiarity with {a}, {b} or similar tools",
    "Bachelor's degree in Computer Science or a related field, or equivalent experience",
    "Excellent written and verbal communication skills",
    "Solid understanding of machine learning fundamentals and evaluation",
    "Comfortable working in a fast-moving, ambiguous environment",
    "Experience with {a} is a plus",
    "A track record of owning systems from design to operation",
]  # fmt: skip
BENEFITS = [
    "Competitive salary and equity", "Comprehensive health, dental and vision cover",
    "Flexible working hours", "Generous parental leave", "A yearly learning budget",
    "Home office setup allowance", "25 days of paid holiday", "Pension matching",
    "Wellness stipend", "Team offsites twice a year", "Commuter benefits",
    "Mental health support", "Sabbatical after four years", "Latest hardware of your choice",
]  # fmt: skip
MISSIONS = [
    "helps hospitals schedule staff and equipment", "builds software for independent retailers",
    "makes freight visible from factory to shelf", "protects small businesses from fraud",
    "turns legal documents into structured data", "helps students learn at their own pace",
    "gives energy companies a live view of their grid", "makes travel planning effortless",
    "helps banks serve customers in every channel", "builds tools for scientific research teams",
]  # fmt: skip
ABOUT_SENTENCES = [
    "{company} {mission}.",
    "Founded in {year}, {company} now serves more than {k},000 customers in {m} countries.",
    "We are a team of {t} people across engineering, product, design and operations.",
    "Our customers rely on us every day, and we take that responsibility seriously.",
    "We recently raised our Series {round} to expand the platform and grow the team.",
    "We believe good software comes from small teams with clear ownership.",
    "Our platform processes millions of events every day with high reliability.",
    "We value curiosity, candour and care for the people who use what we build.",
    "Our engineering culture favours simple designs, strong tests and steady delivery.",
    "We work in a hybrid model, with offices in several cities and many remote colleagues.",
]  # fmt: skip
ROLE_SENTENCES = [
    "As a {role} at {company}, you will join the team that brings AI into our core product.",
    "In this role you will turn promising model capabilities into reliable features.",
    "You will work on problems where quality, cost and speed all matter.",
    "This is a hands-on role with a lot of autonomy and a direct line to customers.",
    "You'll be responsible for systems that thousands of people use every day.",
    "The team is small, and your work will be visible across the company.",
]  # fmt: skip
WORK_SENTENCES = [
    "We plan in six-week cycles and leave room for cleanup and exploration between them.",
    "Engineers write short design notes before large changes and review each other's code.",
    "We deploy many times a day behind feature flags, and every service has an owner.",
    "On-call is shared across the team, with a follow-the-sun rotation and blameless reviews.",
    "We measure the impact of what we ship and are not afraid to remove what does not work.",
    "Most of our backend is written in Python, with a few performance-critical services in Go.",
    "We keep meetings few and short, and write things down so that remote colleagues can follow.",
    "New joiners pair with a buddy for their first month and ship to production in week one.",
]  # fmt: skip
TEAMS = [
    "search", "payments", "support", "growth", "platform", "risk", "catalogue", "onboarding",
    "claims", "pricing", "logistics", "clinical", "trading", "content", "identity", "billing",
]  # fmt: skip
DUTY_SUFFIXES = [
    " for the {team} team", " using {a}", " with {a} and {b}", " across {m} markets",
    " for our {team} product", ", working with the {team} squad", " on {a}",
    " that serve {k} million requests a day", " for {t} internal users",
]  # fmt: skip
GOALS = [
    ", cutting response times by {n}0%", " ahead of the Q{n} launch", " for {k}k daily users",
    " in {m} languages", ", reaching {k}% automation", " within {n} weeks of joining",
    ", halving {team} costs", " while keeping {n}9.9% availability", " to support {t} analysts",
]  # fmt: skip
CLOSINGS = [
    "{company} is an equal opportunity employer. We welcome applicants of every background "
    "and do not discriminate on the basis of race, religion, gender, sexual orientation, age, "
    "disability or any other protected characteristic.",
    "We are committed to an inclusive hiring process. If you need an accommodation at any "
    "stage, let our recruiting team know and we will work with you.",
    "Not sure you meet every requirement? Research shows some people hold back from applying "
    "unless they tick every box. If this role excites you, we would love to hear from you.",
]  # fmt: skip
HEADINGS = {
    "duties": ["Responsibilities", "What you'll do", "Key Responsibilities", "Your role",
               "What You Will Do", "In this role, you will"],
    "requirements": ["Requirements", "What you'll bring", "Qualifications", "About you",
                     "What we're looking for"],
    "work": ["How we work", "Our engineering culture", "Life on the team"],
    "nice": ["Nice to have", "Bonus points", "Preferred qualifications"],
    "benefits": ["Benefits", "What we offer", "Perks and benefits", "Why join us"],
    "about": ["About us", "Who we are", "About the company"],
    "role": ["About the role", "The role", "The opportunity"],
}  # fmt: skip

#: bump when the generated postings change: the bench's cached data is keyed by it
GENERATOR_VERSION = 2
#: description format shares: (html, markdown, plain)
DESCRIPTION_FORMATS = (("html", 0.5), ("markdown", 0.25), ("plain", 0.25))
#: file format shares; one HTML page or YAML file per posting, the others hold many
FILE_FORMATS = (("jsonl", 0.62), ("json", 0.15), ("csv", 0.18), ("html", 0.03), ("yaml", 0.02))
ROWS_PER_FILE = {"jsonl": 10_000, "json": 2_000, "csv": 5_000}
EXACT_REPOST_SHARE = 0.02
EDITED_REPOST_SHARE = 0.01
BAD_RECORD_SHARE = 0.001


# --- pools -------------------------------------------------------------------------------------


def _fill(rng: random.Random, template: str, **given: str) -> str:
    a, b = rng.sample(TECH, 2)
    return template.format(
        n=rng.randint(2, 8),
        a=a,
        b=b,
        year=rng.randint(1995, 2023),
        k=rng.randint(1, 89),
        m=rng.randint(3, 59),
        t=rng.randint(20, 899),
        round=rng.choice("ABCD"),
        **given,
    )


@dataclass
class Pools:
    """Phrase pools built once per seed; postings pick from them by index."""

    duties: list[str]
    requirements: list[str]
    about: list[str]
    role: list[str]
    work: list[str]
    companies: list[str]
    titles: list[str]
    closings: list[str]
    duty_suffixes: list[str]
    goals: list[str]


def _sentences(rng: random.Random, bank: list[str], low: int, high: int, **given: str) -> str:
    return " ".join(_fill(rng, s, **given) for s in rng.sample(bank, rng.randint(low, high)))


def build_pools(seed: int, sizes: int = 4000) -> Pools:
    rng = random.Random(seed)
    companies = [f"{h} {t}" for h in COMPANY_HEADS for t in COMPANY_TAILS]
    titles = [f"{s}{r}" for s in SENIORITY for r in ROLES]
    # every duty bullet the banks can make (a few thousand)
    duties = sorted(
        {
            f"{verb} {obj}{clause}"
            for verbs, objects in DUTY_AREAS.values()
            for verb in verbs
            for obj in objects
            for clause in DUTY_CLAUSES
        }
    )
    requirements = sorted({_fill(rng, rng.choice(REQUIREMENT_FORMS)) for _ in range(sizes)})
    about = [
        _sentences(
            rng, ABOUT_SENTENCES, 4, 8, company=rng.choice(companies), mission=rng.choice(MISSIONS)
        )
        for _ in range(sizes)
    ]
    role = [
        _sentences(
            rng,
            ROLE_SENTENCES,
            2,
            5,
            role=rng.choice(titles).strip(),
            company=rng.choice(companies),
        )
        for _ in range(sizes // 4)
    ]
    work = [_sentences(rng, WORK_SENTENCES, 3, 6) for _ in range(sizes // 4)]
    # endings that make most duty bullets distinct, as real postings' bullets are
    suffixes = sorted(
        {"", *(_fill(rng, rng.choice(DUTY_SUFFIXES), team=rng.choice(TEAMS)) for _ in range(sizes))}
    )
    closings = [c.format(company=rng.choice(companies)) for c in CLOSINGS for _ in range(5)]
    goals = sorted(
        {"", *(_fill(rng, rng.choice(GOALS), team=rng.choice(TEAMS)) for _ in range(sizes))}
    )
    return Pools(
        duties, requirements, about, role, work, companies, titles, closings, suffixes, goals
    )


# --- postings ----------------------------------------------------------------------------------


def _pick(rng: np.random.Generator, pool: list[str], n: int) -> pl.Series:
    return pl.Series(pool).gather(rng.integers(0, len(pool), size=n))


def _list_block(
    rng: np.random.Generator, pool: list[str], n: int, low: int, high: int, item
) -> pl.Expr:
    """Between `low` and `high` items picked from `pool` per row, each rendered by `item` (an
    expression -> expression) and joined."""
    counts = rng.integers(low, high + 1, size=n)
    picks = rng.integers(0, len(pool), size=(n, high))
    series = pl.Series(pool)
    parts = [
        pl.when(pl.lit(pl.Series(counts > k))).then(item(pl.lit(series.gather(picks[:, k]))))
        for k in range(high)
    ]
    return pl.concat_str(parts, ignore_nulls=True)


def _duty_block(rng: np.random.Generator, pools: Pools, n: int, low: int, high: int, item):
    """Between `low` and `high` duty bullets per row: a duty, an ending and (mostly) a goal,
    each picked on its own, so bullets repeat about as rarely as in real postings."""
    counts = rng.integers(low, high + 1, size=n)
    parts = []
    for k in range(high):
        goals = _pick(rng, pools.goals, n)
        bullet = _pick(rng, pools.duties, n) + _pick(rng, pools.duty_suffixes, n) + goals
        parts.append(pl.when(pl.lit(pl.Series(counts > k))).then(item(pl.lit(bullet))))
    return pl.concat_str(parts, ignore_nulls=True)


def _render(kind: str, heading: pl.Expr, body: pl.Expr, items: bool) -> pl.Expr:
    """A section: heading and body, as HTML, Markdown or plain text."""
    if kind == "html":
        body = pl.concat_str([pl.lit("<ul>"), body, pl.lit("</ul>")]) if items else body
        return pl.concat_str([pl.lit("<h3>"), heading, pl.lit("</h3>"), body])
    if kind == "markdown":
        return pl.concat_str([pl.lit("## "), heading, pl.lit("\n\n"), body, pl.lit("\n")])
    return pl.concat_str([heading, pl.lit(":\n"), body, pl.lit("\n")])


def _item(kind: str):
    if kind == "html":
        return lambda e: pl.concat_str([pl.lit("<li>"), e, pl.lit("</li>")])
    bullet = "- " if kind == "markdown" else "\u2022 "
    return lambda e: pl.concat_str([pl.lit(bullet), e, pl.lit("\n")])


def _paragraph(kind: str, e: pl.Expr) -> pl.Expr:
    if kind == "html":
        return pl.concat_str([pl.lit("<p>"), e, pl.lit("</p>")])
    return pl.concat_str([e, pl.lit("\n\n")])


def descriptions(rng: np.random.Generator, pools: Pools, kind: str, n: int) -> pl.Series:
    """`n` descriptions in one format (html / markdown / plain)."""
    item = _item(kind)
    heading = {k: _pick(rng, v, n) for k, v in HEADINGS.items()}
    about = _list_block(rng, pools.about, n, 2, 5, lambda e: _paragraph(kind, e))
    role = _paragraph(kind, pl.lit(_pick(rng, pools.role, n)))
    duties = _duty_block(rng, pools, n, 6, 14, item)
    # one posting in ten writes its duties as prose under the heading
    prose = pl.lit(pl.Series(rng.random(n) < 0.1))
    prose_duties = _list_block(
        rng, pools.duties, n, 3, 6, lambda e: pl.concat_str([e, pl.lit(". ")])
    )
    requirements = _list_block(rng, pools.requirements, n, 6, 12, item)
    nice = _list_block(rng, pools.requirements, n, 2, 5, item)
    work = _list_block(rng, pools.work, n, 1, 2, lambda e: _paragraph(kind, e))
    benefits = _list_block(rng, BENEFITS, n, 4, 10, item)
    closing = _list_block(rng, pools.closings, n, 1, 2, lambda e: _paragraph(kind, e))
    frame = pl.DataFrame({"_": np.zeros(n, dtype=np.int8)}).select(
        pl.concat_str(
            [
                _render(kind, pl.lit(heading["about"]), about, items=False),
                _render(kind, pl.lit(heading["role"]), role, items=False),
                pl.when(prose)
                .then(
                    _render(kind, pl.lit(heading["duties"]), _paragraph(kind, prose_duties), False)
                )
                .otherwise(_render(kind, pl.lit(heading["duties"]), duties, items=True)),
                _render(kind, pl.lit(heading["requirements"]), requirements, items=True),
                _render(kind, pl.lit(heading["nice"]), nice, items=True),
                _render(kind, pl.lit(heading["work"]), work, items=False),
                _render(kind, pl.lit(heading["benefits"]), benefits, items=True),
                closing,
            ]
        ).alias("description")
    )
    return frame["description"]


def postings(n: int, seed: int = 7, id_prefix: str = "") -> pl.DataFrame:
    """`n` synthetic postings (id, title, company, location, posted_date, description, and the
    file format each is written in). Deterministic for a given (n, seed)."""
    rng = np.random.default_rng(seed)
    pools = build_pools(seed)
    kinds = rng.choice(
        [k for k, _ in DESCRIPTION_FORMATS], size=n, p=[p for _, p in DESCRIPTION_FORMATS]
    )
    text = pl.Series("description", [None] * n, dtype=pl.String)
    for kind, _ in DESCRIPTION_FORMATS:
        rows = np.flatnonzero(kinds == kind)
        text = text.scatter(rows, descriptions(rng, pools, kind, len(rows)))
    start = date(2026, 1, 1)
    frame = pl.DataFrame(
        {
            "id": [f"SYN{id_prefix}{seed}-{i:07d}" for i in range(n)],
            "title": _pick(rng, pools.titles, n),
            "company": _pick(rng, pools.companies, n),
            "location": _pick(rng, CITIES, n),
            "posted_date": pl.Series(rng.integers(0, 330, size=n)).cast(pl.Int32),
            "description": text,
            "file_format": rng.choice(
                [k for k, _ in FILE_FORMATS], size=n, p=[p for _, p in FILE_FORMATS]
            ),
        }
    ).with_columns(posted_date=pl.lit(start) + pl.duration(days=pl.col("posted_date")))
    # reposts: the same posting under a new id, verbatim or with a line added
    exact = rng.random(n) < EXACT_REPOST_SHARE
    edited = ~exact & (rng.random(n) < EDITED_REPOST_SHARE)
    original = rng.integers(0, n, size=n)
    copied = frame[original]
    frame = frame.with_columns(
        pl.when(pl.lit(pl.Series(exact | edited)))
        .then(pl.lit(copied[col]))
        .otherwise(pl.col(col))
        .alias(col)
        for col in ("title", "company", "location", "description")
    ).with_columns(
        description=pl.when(pl.lit(pl.Series(edited)))
        .then(pl.col("description") + pl.lit("\n\nApplications are reviewed on a rolling basis."))
        .otherwise(pl.col("description"))
    )
    # bad records: nothing to analyse (no title, no description)
    bad = pl.Series(rng.random(n) < BAD_RECORD_SHARE)
    return frame.with_columns(
        title=pl.when(pl.lit(bad)).then(None).otherwise(pl.col("title")),
        description=pl.when(pl.lit(bad)).then(None).otherwise(pl.col("description")),
    )


# --- files -------------------------------------------------------------------------------------

# each file format names its fields as a different kind of source does
FIELD_NAMES = {
    "jsonl": {"id": "id", "title": "title", "company": "company", "location": "location",
              "posted_date": "date_posted", "description": "description"},
    "json": {"id": "job_id", "title": "job_title", "company": "company_name",
             "location": "city", "posted_date": "posted_date", "description": "description_html"},
    "csv": {"id": "posting_id", "title": "title", "company": "employer", "location": "location",
            "posted_date": "published", "description": "body"},
    "yaml": {"id": "job_id", "title": "title", "company": "company", "location": "location",
             "posted_date": "posted_date", "description": "description"},
}  # fmt: skip


@dataclass(frozen=True)
class GeneratedSet:
    path: Path
    postings: int
    files: int
    bytes: int
    description_chars: int
    by_format: dict[str, int]


def _json_ld_page(row: dict) -> str:
    ld = {
        "@context": "https://schema.org",
        "@type": "JobPosting",
        "identifier": row["id"],
        "title": row["title"],
        "hiringOrganization": {"@type": "Organization", "name": row["company"]},
        "jobLocation": {"@type": "Place", "address": {"addressLocality": row["location"]}},
        "datePosted": str(row["posted_date"]),
        "description": row["description"],
    }
    return (
        "<!doctype html><html><head><title>"
        f"{row['title']}</title>\n"
        f'<script type="application/ld+json">{json.dumps(ld)}</script></head>'
        f"<body><h1>{row['title']}</h1></body></html>\n"
    )


def write_postings(frame: pl.DataFrame, out: Path, seed: int = 7) -> GeneratedSet:
    """Write `frame` (from `postings`) under `out`, one folder per file format."""
    out.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(seed + 1)
    files = 0
    by_format = {}
    for fmt, _ in FILE_FORMATS:
        part = frame.filter(pl.col("file_format") == fmt).drop("file_format")
        by_format[fmt] = part.height
        folder = out / fmt
        folder.mkdir(exist_ok=True)
        if fmt == "html":
            for row in part.iter_rows(named=True):
                (folder / f"{row['id']}.html").write_text(_json_ld_page(row), encoding="utf-8")
                files += 1
            continue
        named = part.rename(FIELD_NAMES[fmt]).with_columns(
            pl.col(FIELD_NAMES[fmt]["posted_date"]).cast(pl.String)
        )
        if fmt == "yaml":
            for row in named.iter_rows(named=True):
                (folder / f"{row['job_id']}.yaml").write_text(
                    yaml.safe_dump(row, allow_unicode=True, sort_keys=False), encoding="utf-8"
                )
                files += 1
            continue
        size = ROWS_PER_FILE[fmt]
        for number, offset in enumerate(range(0, named.height, size)):
            chunk = named.slice(offset, size)
            path = folder / f"{fmt}_{number:05d}.{fmt}"
            if fmt == "jsonl":
                text = chunk.write_ndjson()
                # a malformed line now and then, as real exports have
                if rng.random() < 0.5:
                    text += '{"id": "broken", "title": "Truncated record\n'
                path.write_text(text, encoding="utf-8")
            elif fmt == "json":
                path.write_text(
                    json.dumps({"jobs": chunk.to_dicts()}, ensure_ascii=False), encoding="utf-8"
                )
            else:
                chunk.write_csv(path)
            files += 1
    total = sum(p.stat().st_size for p in out.rglob("*") if p.is_file())
    # len_chars is UInt32, and so is its sum: a million descriptions overflow it
    chars = int(frame["description"].str.len_chars().cast(pl.Int64).sum() or 0)
    return GeneratedSet(out, frame.height, files, total, chars, by_format)
