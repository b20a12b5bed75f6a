"""Rules role-type classifier: AI-First / AI-Support / ML-First per posting, with its reason.

The reference notion: an AI-First role builds with models itself (LLM features, agents, RAG,
prompts, evaluation, fine-tuning or serving models); an AI-Support role works near AI without
building with models (platforms, infrastructure, data, front-end/back-end/mobile product work,
QA, tooling that helps others use AI, sales and solutions); an ML-First role trains classical or
deep models (vision, speech, RL, forecasting, recommendation, fraud) with little generative AI.

Evidence, all counted with Polars expressions (no Python loop per posting):
- the title: an "AI/ML/LLM engineer", "applied AI", "forward deployed" or research title leans
  AI-First; platform, infrastructure, front-end, back-end, mobile, QA, data-engineering, sales
  and similar titles lean AI-Support; vision/speech/RL/forecasting titles lean ML-First;
- the posting's text, as rates per 1,000 characters: generative-AI vocabulary (LLMs, agents,
  RAG, prompts, evals), counted over the whole text and again over its bullet lines (the
  responsibilities and requirements, so a company blurb about AI weighs less); support
  vocabulary (infrastructure, front-end, back-end/databases, data pipelines, security, QA);
  "enabler" phrases (helping others use
  AI tools, developer productivity, human feedback / annotation work, infrastructure or
  services that power or support AI models and "AI workloads", helping other teams to build or
  deploy); "build-ai" phrases, a build verb with an AI product as its object ("build AI-powered
  features", "deploy LLM agents"), counted in the bullet lines when there are any so that a
  company blurb ("we build AI agents") does not count; classical/deep-ML
  vocabulary (vision, speech, RL, forecasting, PyTorch...);
- its classified responsibilities: the share whose primary category is building with models
  versus platform, front-end, data or security work.

AI-First and AI-Support are scored against each other on one scale, the "lean" (hand-set
weights, each a plain-language piece of evidence; positive is AI-First). ML-First wins, whatever
the lean, when its own scale (model-training vocabulary and title, less generative-AI
vocabulary) passes ML_THRESHOLD. The score is a confidence in [0.5, 1): a logistic of the
deciding margin (|lean|, or the ML scale's excess over its threshold).
"""

from __future__ import annotations

import polars as pl

ROLE_TYPES = ("ai-first", "ai-support", "ml-first")

GENAI_TERMS = (
    r"\b(llms?|large language models?|genai|gen ai|generative ai|gpt-?\w*|foundation models?"
    r"|rag|retrieval[- ]augmented|agents?|agentic|multi-agent|prompts?|prompt engineering"
    r"|context engineering|langchain|langgraph|llamaindex|openai|anthropic|claude|gemini|mcp"
    r"|hugging ?face|dspy|crewai|autogen|embeddings?|vector (db|database|search|store)s?"
    r"|semantic search|fine-?tun\w*|evals?|evaluations?|hallucinations?|guardrails?|chatbots?)\b"
)
# A vocabulary is one pattern or several whose match counts add up (see `_rate`). The words of
# two or three letters are a pattern of their own: in one alternation with the longer terms
# they make the regex engine's literal prefilter fire on nearly every word ("ui" in "build"),
# and counting took three times as long. The short words are whole words that no longer term
# contains, so no match of one pattern overlaps a match of the other and the sum is the count
# of the single alternation (tests/unit/test_role_types.py checks it).
CLASSICAL_ML_TERMS = (
    r"\b(machine learning|pytorch|tensorflow|keras|deep learning|neural networks?|cnns?|rnns?"
    r"|lstms?|diffusion|computer vision|object detection|segmentation|perception|lidar"
    r"|point clouds?|image|video|speech|audio|voice|reinforcement learning|policy"
    r"|robot\w*|control|xgboost|lightgbm|scikit-learn|sklearn|regression|forecasting"
    r"|time[- ]series|statistic\w*|bayesian|causal|tabular|recommend\w*|ranking|personali[sz]\w*"
    r"|churn|fraud|propensity|risk models?|anomaly detection|cuda|gpus?|kernels?|nccl)\b",
    r"\b(ml|jax|3d|asr|tts|rl|hpc)\b",
)
SUPPORT_TERMS = (
    r"\b(kubernetes|terraform|docker|devops|infrastructure|platforms?|ci/cd|observability"
    r"|distributed systems|data pipelines?|data engineering|data warehouse|spark|airflow"
    r"|snowflake|kafka|data lakes?|react|typescript|javascript|next\.?js|angular"
    r"|front-?end|html|web applications?|android|mobile|swift|kotlin|databases?"
    r"|postgres\w*|apis?|back-?end|microservices|ruby|rails|security|documentation|testing"
    r"|test automation)\b",
    r"\b(k8s|sre|etl|elt|dbt|vue|css|ios|ui|ux|sql|qa)\b",
)
ENABLER_TERMS = (
    r"\b(cursor|copilot|claude code|ai[- ]assisted (development|coding)|ai coding (tools|assistants)"
    r"|developer productivity|developer experience|enable (other )?(engineers|teams|developers)"
    r"|adoption of ai|ai adoption|human feedback|rlhf|annotat\w*|label(l)?ing|ai[- ]generated code"
    r"|no (prior )?(ml|machine learning|ai) experience)\b"
    # Infrastructure or tools under someone else's AI ("platform that powers our AI agents",
    # "AI workloads"), and helping others to build or use it.
    r"|\b(infrastructure|platforms?|tooling|tools|services|systems|pipelines)\b[^.\n]{0,30}"
    r"\b(power|powers|support|supports|enable|enables|serve|serves|underpin\w*)\b[^.\n]{0,20}"
    r"\b(ai|ml|llms?|models?|agents?|machine learning)\b"
    r"|\b(ai|ml|llm|inference|training|gpu) workloads\b"
    r"|\b(enabl\w*|empower\w*|help\w*|allow\w*)\b[^.\n]{0,25}\b(other )?(teams|engineers|developers"
    r"|researchers|data scientists|customers|users)\b[^.\n]{0,15}\bto (build|use|deploy|train|ship"
    r"|adopt|leverage|run)\b"
)
# A build verb with an AI product as its object ("build LLM-powered features", "deploy AI agents"):
# the person makes the AI thing themselves, not the platform under it.
AI_PRODUCT = (
    r"(ai|llms?|genai|generative ai|agentic|machine learning|ml)[- ](powered |driven |based |native )?"
    r"(features?|solutions?|applications?|apps|agents?|systems?|models?|products?|capabilities"
    r"|workflows?|assistants?|copilots?)"
)
BUILD_AI_TERMS = (
    r"\b(build|builds|building|develop|developing|design|designing|implement|implementing|ship"
    r"|shipping|prototype|prototyping|create|creating|integrate|integrating|deploy|deploying)\b"
    r"[^.\n]{0,40}\b" + AI_PRODUCT + r"\b"
)

AI_FIRST_CATEGORIES = (
    "building_ai_systems",
    "agents",
    "rag_retrieval",
    "evaluation_quality",
    "fine_tuning",
    "self_hosting",
)
SUPPORT_CATEGORIES = (
    "infrastructure_platforms",
    "frontend_ui",
    "data_processing",
    "security_compliance",
)

TITLE_AI_FIRST = (
    r"\b(ai|llm|genai|gen ai|generative ai|agentic|agents?|applied ai|machine learning|ml|nlp"
    r"|conversational ai|prompt)\s*(/\s*(ml|ai)\s*)?((software|product|inference|research)\s+)?(engineer|developer|architect"
    r"|builder|scientist|researcher)|forward[- ]deployed|\bresearch (engineer|scientist)|applied scien"
)
TITLE_SUPPORT = (
    r"\b(platform|infrastructure|infra|devops|sre|reliability|mlops|ops|cloud|back-?end|front-?end"
    r"|full-?stack|web|mobile|ios|android|qa|quality|test\w*|security|governance|data engineer\w*"
    r"|data platform|analytics|sales|pre-?sales|account|customer|support|success|consult\w*"
    r"|advocate|developer relations|devrel|marketing|enablement|product manager|program manager"
    r"|trainer|tools?|tooling)\b"
)
TITLE_ML = (
    r"\b(computer vision|vision|perception|robot\w*|autonomy|speech|audio|reinforcement learning|rl"
    r"|recommend\w*|ranking|personali[sz]\w*|forecast\w*|fraud|risk|supply chain|data scien\w*"
    r"|statistic\w*|quant\w*)\b"
)
TITLE_GENAI = r"\b(llm|genai|gen ai|generative|agentic|agents?|prompt|conversational)\b"

# Hand-set weights: AI-First versus AI-Support on one scale (see `classify_role_types`).
W_TITLE = 1.0
W_GENAI = 1.2  # per log(1 + rate per 1,000 chars), whole text and bullet lines averaged
W_SUPPORT_TEXT = 0.5
W_ENABLER = 0.8
W_SHARES = 0.5
W_BUILD = 1.0  # per log(1 + rate per 1,000 chars) of "build verb ... AI product" phrases
SUPPORT_BIAS = 0.4  # set so the predicted AI-Support share matches the reference share
# (raised from 0.2 with the build-ai term, which adds a positive amount to most postings)
ML_THRESHOLD = 1.45


def _rate(text: pl.Expr, vocabulary: str | tuple[str, ...]) -> pl.Expr:
    """Matches of a vocabulary (a pattern, or patterns whose counts add up) per 1,000
    characters, so long postings do not win by length alone."""
    patterns = (vocabulary,) if isinstance(vocabulary, str) else vocabulary
    length = text.str.len_chars().clip(lower_bound=400)
    matches = pl.sum_horizontal([text.str.count_matches(p).fill_null(0) for p in patterns])
    return matches * 1000 / length


#: The start of a bullet line.
_BULLET = r"^[ \t]*[-•*▪◦·]"


def _bullets(text: pl.Expr) -> pl.Expr:
    """The posting's bullet lines (responsibilities, requirements), without the prose around
    them, one per line."""
    # the lines, kept where they start with a bullet: the same lines as a multi-line regex
    # extraction, in a third of its time (which went on a value per match, and the join)
    lines = text.str.split("\n").list.eval(pl.element().filter(pl.element().str.contains(_BULLET)))
    return lines.list.join("\n").fill_null("")


def _evidence(postings: pl.DataFrame, labels: pl.DataFrame) -> pl.DataFrame:
    primary = labels.filter(pl.col("rank") == 1)
    shares = primary.group_by("batch_id", "posting_id").agg(
        n_items=pl.len(),
        first_share=pl.col("category").is_in(AI_FIRST_CATEGORIES).mean(),
        support_share=pl.col("category").is_in(SUPPORT_CATEGORIES).mean(),
    )
    title = pl.col("_title")
    text, bullets = pl.col("_text"), pl.col("_bullets")
    # the bullet lines when there are enough of them, else the whole text
    duties = pl.col("_duties")
    # each intermediate is materialised once: an eager expression evaluates a shared input
    # again wherever it is used, and these are whole lower-cased postings
    return (
        postings.select("batch_id", "posting_id", "title", "description_text")
        .join(shares, on=["batch_id", "posting_id"], how="left")
        .with_columns(pl.col("first_share", "support_share").fill_null(0.0))
        .with_columns(pl.col("n_items").fill_null(0))
        .with_columns(
            _title=pl.col("title").fill_null("").str.to_lowercase(),
            _text=pl.concat_str(
                pl.col("title").fill_null(""),
                pl.col("description_text").fill_null(""),
                separator="\n",
            ).str.to_lowercase(),
        )
        .with_columns(
            _bullets=_bullets(pl.col("description_text").fill_null("").str.to_lowercase())
        )
        .with_columns(_duties=pl.when(bullets.str.len_chars() >= 200).then(bullets).otherwise(text))
        .with_columns(
            genai=_rate(text, GENAI_TERMS),
            genai_bullets=_rate(duties, GENAI_TERMS),
            classical=_rate(text, CLASSICAL_ML_TERMS),
            support=_rate(text, SUPPORT_TERMS),
            enabler=_rate(text, ENABLER_TERMS),
            # In the duties when there are bullet lines: "we build AI agents" in a company
            # blurb says what the company does, not what this person does.
            build_ai=_rate(duties, BUILD_AI_TERMS),
            t_first=title.str.contains(TITLE_AI_FIRST),
            t_support=title.str.contains(TITLE_SUPPORT),
            t_ml=title.str.contains(TITLE_ML) & ~title.str.contains(TITLE_GENAI),
        )
        .drop("_title", "_text", "_bullets", "_duties")
    )


def classify_role_types(postings: pl.DataFrame, labels: pl.DataFrame) -> pl.DataFrame:
    """postings: batch_id, posting_id, title, description_text; labels: batch_id, posting_id,
    position, category, rank. Returns batch_id, posting_id, role_type, score, method, reason."""
    genai = ((pl.col("genai") + pl.col("genai_bullets")) / 2).log1p()
    # One scale: positive favours AI-First, negative AI-Support.
    lean = (
        W_TITLE * (pl.col("t_first").cast(pl.Float64) - pl.col("t_support").cast(pl.Float64))
        + W_GENAI * genai
        - W_SUPPORT_TEXT * pl.col("support").log1p()
        - W_ENABLER * pl.col("enabler").log1p()
        + W_BUILD * pl.col("build_ai").log1p()
        + W_SHARES * (pl.col("first_share") - pl.col("support_share"))
        - SUPPORT_BIAS
    )
    # ML-First: model-training vocabulary well above generative-AI vocabulary.
    ml = (
        pl.col("classical").log1p()
        + 0.5 * pl.col("t_ml").cast(pl.Float64)
        - 0.5 * pl.col("t_support").cast(pl.Float64)
        - 0.5 * genai
    )
    scored = (
        _evidence(postings, labels)
        .with_columns(lean=lean, ml_lean=ml)
        .with_columns(ml_margin=pl.col("ml_lean") - ML_THRESHOLD)
    )
    is_ml = pl.col("ml_margin") > 0
    best = (
        pl.when(is_ml)
        .then(pl.lit("ml-first"))
        .when(pl.col("lean") >= 0)
        .then(pl.lit("ai-first"))
        .otherwise(pl.lit("ai-support"))
    )
    margin = pl.when(is_ml).then(pl.col("ml_margin")).otherwise(pl.col("lean").abs())
    has_evidence = (
        (pl.col("genai") > 0)
        | (pl.col("classical") > 0)
        | (pl.col("support") > 0)
        | (pl.col("enabler") > 0)
        | pl.col("t_first")
        | pl.col("t_support")
        | pl.col("t_ml")
        | (pl.col("n_items") > 0)
    )
    evidence = pl.format(
        "title[first={},support={},ml={}] per-1k-chars[genai={} (bullets {}),support={},"
        "enabler={},build-ai={},classical={}] primary-shares[first={},support={}] of {} items",
        pl.col("t_first").cast(pl.Int8),
        pl.col("t_support").cast(pl.Int8),
        pl.col("t_ml").cast(pl.Int8),
        pl.col("genai").round(2),
        pl.col("genai_bullets").round(2),
        pl.col("support").round(2),
        pl.col("enabler").round(2),
        pl.col("build_ai").round(2),
        pl.col("classical").round(2),
        pl.col("first_share").round(2),
        pl.col("support_share").round(2),
        pl.col("n_items"),
    )
    decision = (
        pl.when(is_ml)
        .then(
            pl.format(
                "ml scale {} > {} (lean {} ignored)",
                pl.col("ml_lean").round(2),
                pl.lit(ML_THRESHOLD),
                pl.col("lean").round(2),
            )
        )
        .otherwise(
            pl.format(
                "lean {} ({}; >=0 AI-First, <0 AI-Support), ml scale {} <= {}",
                pl.col("lean").round(2),
                pl.when(pl.col("lean") >= 0)
                .then(pl.lit("AI-First"))
                .otherwise(pl.lit("AI-Support")),
                pl.col("ml_lean").round(2),
                pl.lit(ML_THRESHOLD),
            )
        )
    )
    reason = pl.format("{}: {}", decision, evidence)
    return scored.select(
        "posting_id",
        "batch_id",
        role_type=pl.when(has_evidence).then(best).otherwise(pl.lit("unknown")),
        score=pl.when(has_evidence).then(1 / (1 + (-2 * margin).exp())).otherwise(0.0),
        method=pl.lit("rules"),
        reason=pl.when(has_evidence)
        .then(reason)
        .otherwise(pl.lit("no title or text evidence for any role type")),
    )


def precomputed_role_types(postings: pl.DataFrame) -> pl.DataFrame:
    return postings.filter(pl.col("precomputed_role_type").is_not_null()).select(
        "posting_id",
        "batch_id",
        role_type=pl.col("precomputed_role_type"),
        score=pl.lit(1.0),
        method=pl.lit("precomputed"),
        reason=pl.lit("role type given by the enriched source record"),
    )


def role_types(postings: pl.DataFrame, labels: pl.DataFrame) -> pl.DataFrame:
    """Precomputed role types where records carry them; the rules classifier for the rest."""
    enriched = postings.filter(pl.col("precomputed_role_type").is_not_null())
    plain = postings.filter(pl.col("precomputed_role_type").is_null())
    return pl.concat([precomputed_role_types(enriched), classify_role_types(plain, labels)]).sort(
        "batch_id", "posting_id"
    )
