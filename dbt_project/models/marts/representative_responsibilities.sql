-- Up to var('representative_examples_per_category') (8) example responsibilities per
-- category whose primary (rank-1) label is that category, for the report's "What people do"
-- lists: typical of the category, worded as plain duties, and spread over its sub-patterns.
--
--   typicality   mean, over the item's distinct words (4+ letters), of the share of the
--                category's items that contain the word: an item made of the category's
--                common vocabulary scores high, one full of names and rare words low;
--   plain duty   no first- or second-person pronoun ("you'll work with our ..." is
--                advertising, not a duty);
--   duty start   its first word is one of the var('representative_leading_words') (40)
--                most frequent first words of all responsibilities (seen at least twice):
--                duties start with verbs ("Build", "Design", "Collaborate"), fragments such
--                as "Multiple foundation models, ..." do not;
--   spread       the best item of each sub-pattern (items without one form their own
--                group) comes before the second-best of any, so the list covers the kinds
--                of work in the category instead of eight wordings of the most common one.
--
-- Texts are distinct by lower-cased, trimmed text. Quality tier: 0 = preferred length
-- (representative_min_length..representative_max_length, 25..200 characters), plain and
-- duty start; 1 = preferred length and plain; 2 = preferred length; 3 = the rest. Within a
-- group: tier, typicality, classifier score; across groups: tier, rank in group,
-- typicality, classifier score; ties break on posting_id, position and batch_id, so the
-- choice is deterministic.
--
-- Built for millions of items: texts are deduplicated first (typicality, the flags and the
-- quality tier depend on the text, the occurrence kept is the first by classifier score, then
-- posting_id, position and batch_id); word shares count each text's words once, weighted by
-- its occurrences; only the wordings that can still be among a group's first
-- var('representative_examples_per_category') are scored for typicality (a group that has
-- that many at its best tiers cannot place a worse-tier item in the list); the text itself
-- is read back for the chosen examples only.

{%- set per_category = var('representative_examples_per_category') %}
{%- set min_length = var('representative_min_length') %}
{%- set max_length = var('representative_max_length') %}
{%- set leading_words = var('representative_leading_words') %}

with

items as not materialized (

    select
        primary_category as category,
        coalesce(primary_subpattern, '') as subpattern_group,
        batch_id,
        posting_id,
        position,
        primary_score as label_score,
        lower(trim(responsibility_text)) as text_key,
        {{ dbt.length('responsibility_text') }} as text_length
    from {{ ref('int_responsibilities__analysed') }}
    where primary_category is not null

),

-- one row per distinct wording of a category, carrying its first occurrence (best classifier
-- score, then posting_id, position, batch_id) and how often it occurs; numbered so the
-- per-word steps below group on one integer
texts as materialized (

    select
        row_number() over () as text_number,
        category,
        text_key,
        occurrences,
        first_occurrence.subpattern_group,
        first_occurrence.batch_id,
        first_occurrence.posting_id,
        first_occurrence.position,
        first_occurrence.label_score,
        first_occurrence.text_length
    from (
        select
            category,
            text_key,
            count(*) as occurrences,
            arg_min(
                struct_pack(subpattern_group, batch_id, posting_id, position, label_score, text_length),
                struct_pack(score_desc := -label_score, posting_id, position, batch_id)
            ) as first_occurrence
        from items
        group by category, text_key
    ) as grouped

),

leading_words as (

    select leading_word
    from (
        select
            regexp_extract(text_key, '^[a-z]+') as leading_word,
            sum(occurrences) as items
        from texts
        group by 1
    ) as counted
    where leading_word <> '' and items >= 2
    order by items desc, leading_word
    limit {{ leading_words }}

),

tiered as materialized (

    select
        *,
        case
            when is_preferred_length and is_plain_duty and is_duty_start then 0
            when is_preferred_length and is_plain_duty then 1
            when is_preferred_length then 2
            else 3
        end as quality_tier
    from (
        select
            texts.*,
            texts.text_length between {{ min_length }} and {{ max_length }}
                as is_preferred_length,
            not regexp_matches(texts.text_key, '\b(you|your|yours|we|our|ours|us)\b')
                as is_plain_duty,
            regexp_extract(texts.text_key, '^[a-z]+') in (
                select leading_word from leading_words
            ) as is_duty_start
        from texts
    ) as flagged

),

-- a group (category x sub-pattern) can place an item of tier t in the list only if it has
-- fewer than var('representative_examples_per_category') wordings at better tiers: the last
-- tier that can still matter, per group
group_tiers as (

    select
        category,
        subpattern_group,
        min(quality_tier) as last_tier
    from (
        select
            category,
            subpattern_group,
            quality_tier,
            sum(count(*)) over (
                partition by category, subpattern_group
                order by quality_tier
                rows between unbounded preceding and current row
            ) as wordings_up_to_tier
        from tiered
        group by category, subpattern_group, quality_tier
    ) as counted
    where wordings_up_to_tier >= {{ per_category }}
    group by category, subpattern_group

),

contenders as (

    select tiered.*
    from tiered
    left join group_tiers
        on tiered.category = group_tiers.category
        and tiered.subpattern_group = group_tiers.subpattern_group
    where group_tiers.last_tier is null
       or tiered.quality_tier <= group_tiers.last_tier

),

-- a text's distinct words (4+ letters), with its occurrences
words as not materialized (

    select
        category,
        text_number,
        occurrences,
        unnest(list_distinct({{ roleprint.word_list('text_key') }})) as word
    from texts

),

category_sizes as (

    select
        category,
        sum(occurrences) as category_items
    from texts
    group by category

),

-- share of the category's items (occurrences) that contain the word
word_shares as (

    select
        words.category,
        words.word,
        sum(words.occurrences) / max(category_sizes.category_items) as share_of_items
    from words
    inner join category_sizes
        on words.category = category_sizes.category
    group by words.category, words.word

),

typicality as (

    select
        contender_words.text_number,
        round(avg(word_shares.share_of_items), 6) as typicality
    from (
        select
            contenders.category,
            contenders.text_number,
            unnest(list_distinct({{ roleprint.word_list('contenders.text_key') }})) as word
        from contenders
    ) as contender_words
    inner join word_shares
        on contender_words.category = word_shares.category
        and contender_words.word = word_shares.word
    group by contender_words.text_number

),

scored as (

    select
        contenders.*,
        coalesce(typicality.typicality, 0) as typicality
    from contenders
    left join typicality
        on contenders.text_number = typicality.text_number

),

ranked_in_group as (

    select
        *,
        row_number() over (
            partition by category, subpattern_group
            order by
                quality_tier,
                typicality desc,
                label_score desc,
                posting_id,
                position,
                batch_id
        ) as group_rank
    from scored

),

ranked as (

    select
        *,
        row_number() over (
            partition by category
            order by
                quality_tier,
                group_rank,
                typicality desc,
                label_score desc,
                posting_id,
                position,
                batch_id
        ) as example_rank
    from ranked_in_group
    where group_rank <= {{ per_category }}

),

chosen as (

    select *
    from ranked
    where example_rank <= {{ per_category }}

),

-- the chosen examples' texts as written (the steps above only carry the lower-cased key)
chosen_texts as (

    select
        chosen.*,
        responsibilities.responsibility_text
    from chosen
    inner join {{ ref('int_responsibilities__analysed') }} as responsibilities
        on chosen.batch_id = responsibilities.batch_id
        and chosen.posting_id = responsibilities.posting_id
        and chosen.position = responsibilities.position

),

categories as (

    select * from {{ ref('stg_roleprint__taxonomy_categories') }}

)

select
    chosen_texts.category,
    categories.category_name,
    chosen_texts.example_rank,
    chosen_texts.responsibility_text,
    nullif(chosen_texts.subpattern_group, '') as subpattern,
    chosen_texts.label_score,
    chosen_texts.typicality,
    chosen_texts.is_plain_duty,
    chosen_texts.is_duty_start,
    chosen_texts.quality_tier,
    chosen_texts.text_length,
    chosen_texts.is_preferred_length,
    chosen_texts.occurrences,
    chosen_texts.batch_id,
    chosen_texts.posting_id,
    chosen_texts.position

from chosen_texts

left join categories
    on chosen_texts.category = categories.category
