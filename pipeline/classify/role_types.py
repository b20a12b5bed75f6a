"""Rules role-type classifier: AI-First / AI-Support / ML-First per posting, with its reason.

Evidence, all counted with Polars expressions:
- the title (an "AI engineer" title leans AI-First, "platform"/"data engineer"/"sales" AI-Support,
  "machine learning"/"data scientist" without generative words ML-First);
- the posting's text: how often it speaks of generative AI (LLMs, RAG, agents, prompts) versus
  classical ML (training models, forecasting, recommendation, features);
- its classified responsibilities: the share whose primary category is building with models
  versus platform, data or customer work.
The three scores are summed per class; the winner's share of the total is the score.
"""

from __future__ import annotations

import polars as pl

ROLE_TYPES = ("ai-first", "ai-support", "ml-first")

GENAI_TERMS = (
    r"\b(llms?|large language models?|genai|gen ai|generative|gpt|rag|retrieval[- ]augmented|agents?|agentic"
    r"|prompts?|prompt engineering|langchain|langgraph|llamaindex|openai|anthropic|claude|gemini|copilot"
    r"|chatbots?|embeddings?|vector (db|database|search|store)|foundation models?|fine-tun\w*)\b"
)
CLASSICAL_ML_TERMS = (
    r"\b(xgboost|lightgbm|scikit-learn|sklearn|regression|classification models?|forecasting|time series"
    r"|recommendation|recommender|ranking models?|feature engineering|churn|fraud detection|propensity"
    r"|a/b test\w*|causal|statistical model\w*|predictive model\w*|computer vision|tabular|pytorch|tensorflow"
    r"|train(ing)? (and deploy\w* )?(ml |machine learning |deep learning )?models?|model training)\b"
)
SUPPORT_TERMS = (
    r"\b(platform|infrastructure|kubernetes|k8s|terraform|devops|sre|reliability engineering|data pipelines?"
    r"|etl|data engineering|data warehouse|gpu clusters?|observability|ci/cd|customers?|pre-?sales|sales"
    r"|solutions? (engineer|architect)|support engineer|enablement|tooling)\b"
)

AI_FIRST_CATEGORIES = (
    "building_ai_systems",
    "agents",
    "rag_retrieval",
    "provider_apis",
    "evaluation_quality",
    "frontend_ui",
)
SUPPORT_CATEGORIES = (
    "infrastructure_platforms",
    "data_processing",
    "customers",
    "self_hosting",
    "security_compliance",
)
ML_CATEGORIES = ("fine_tuning", "experimentation_research")

TITLE_AI_FIRST = r"\b(ai|llm|genai|generative|gen ai|agents?|applied ai|prompt|conversational)\b.*\b(engineer|developer|architect|builder)\b"
TITLE_SUPPORT = r"\b(platform|infrastructure|infra|devops|sre|reliability|data engineer|sales|solutions?|support|customer|mlops|operations|security)\b"
TITLE_ML = r"\b(machine learning|ml|data scien\w*|scientist|statistic\w*|quant\w*|computer vision|research scientist)\b"


def _rate(text: pl.Expr, pattern: str) -> pl.Expr:
    """Matches per 1,000 characters, so long postings do not win by length alone."""
    length = text.str.len_chars().clip(lower_bound=400)
    return text.str.to_lowercase().str.count_matches(pattern).fill_null(0) * 1000 / length


def classify_role_types(postings: pl.DataFrame, labels: pl.DataFrame) -> pl.DataFrame:
    """postings: batch_id, posting_id, title, description_text; labels: batch_id, posting_id,
    position, category, rank. Returns batch_id, posting_id, role_type, score, method, reason."""
    primary = labels.filter(pl.col("rank") == 1)
    shares = primary.group_by("batch_id", "posting_id").agg(
        n_items=pl.len(),
        first_share=pl.col("category").is_in(AI_FIRST_CATEGORIES).mean(),
        support_share=pl.col("category").is_in(SUPPORT_CATEGORIES).mean(),
        ml_share=pl.col("category").is_in(ML_CATEGORIES).mean(),
    )
    title = pl.col("title").fill_null("").str.to_lowercase()
    text = pl.concat_str(
        pl.col("title").fill_null(""), pl.col("description_text").fill_null(""), separator="\n"
    )
    genai, classical, support = (
        _rate(text, GENAI_TERMS),
        _rate(text, CLASSICAL_ML_TERMS),
        _rate(text, SUPPORT_TERMS),
    )

    scored = (
        postings.select("batch_id", "posting_id", "title", "description_text")
        .join(shares, on=["batch_id", "posting_id"], how="left")
        .with_columns(pl.col("first_share", "support_share", "ml_share", "n_items").fill_null(0))
        .with_columns(
            genai=genai,
            classical=classical,
            support=support,
            t_first=title.str.contains(TITLE_AI_FIRST).cast(pl.Float64),
            t_support=title.str.contains(TITLE_SUPPORT).cast(pl.Float64),
            t_ml=(
                title.str.contains(TITLE_ML)
                & ~title.str.contains(r"\b(llm|genai|generative|gen ai)\b")
            ).cast(pl.Float64),
        )
        .with_columns(
            s_first=pl.col("t_first") * 1.0
            + pl.col("genai").clip(upper_bound=4) * 0.5
            + pl.col("first_share") * 1.5,
            s_support=pl.col("t_support") * 1.2
            + pl.col("support").clip(upper_bound=4) * 0.3
            + pl.col("support_share") * 1.5,
            s_ml=pl.col("t_ml") * 1.0
            + pl.col("classical").clip(upper_bound=4) * 0.5
            + pl.col("ml_share") * 1.0
            - pl.col("genai").clip(upper_bound=4) * 0.25,
        )
        .with_columns(pl.col("s_ml").clip(lower_bound=0))
    )
    best = (
        pl.when((pl.col("s_first") >= pl.col("s_support")) & (pl.col("s_first") >= pl.col("s_ml")))
        .then(pl.lit("ai-first"))
        .when(pl.col("s_support") >= pl.col("s_ml"))
        .then(pl.lit("ai-support"))
        .otherwise(pl.lit("ml-first"))
    )
    total = pl.col("s_first") + pl.col("s_support") + pl.col("s_ml")
    has_evidence = total > 0
    reason = pl.format(
        "title[first={},support={},ml={}] per-1k-chars[genai={},classical={},support={}] primary-shares[first={},support={},ml={}] of {} items",
        pl.col("t_first").cast(pl.Int8),
        pl.col("t_support").cast(pl.Int8),
        pl.col("t_ml").cast(pl.Int8),
        pl.col("genai").round(2),
        pl.col("classical").round(2),
        pl.col("support").round(2),
        pl.col("first_share").round(2),
        pl.col("support_share").round(2),
        pl.col("ml_share").round(2),
        pl.col("n_items"),
    )
    return scored.select(
        "posting_id",
        "batch_id",
        role_type=pl.when(has_evidence).then(best).otherwise(pl.lit("unknown")),
        score=pl.when(has_evidence)
        .then(pl.max_horizontal("s_first", "s_support", "s_ml") / total)
        .otherwise(0.0),
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
