-- Up to var('representative_examples_per_category') (8) example responsibilities per
-- category whose primary (rank-1) label is that category, for the report's "What people do"
-- lists. Texts are distinct by lower-cased, trimmed text; texts of
-- representative_min_length..representative_max_length characters (25..200) come first,
-- then the highest classifier score; ties break on posting_id, position, batch_id.

{%- set per_category = var('representative_examples_per_category') %}
{%- set min_length = var('representative_min_length') %}
{%- set max_length = var('representative_max_length') %}

with

candidates as (

    select
        primary_category as category,
        batch_id,
        posting_id,
        position,
        responsibility_text,
        primary_score as label_score,
        lower(trim(responsibility_text)) as text_key,
        {{ dbt.length('responsibility_text') }} as text_length
    from {{ ref('int_responsibilities__analysed') }}
    where primary_category is not null

),

preferred as (

    select
        *,
        text_length between {{ min_length }} and {{ max_length }} as is_preferred_length
    from candidates

),

deduplicated as (

    select
        *,
        count(*) over (partition by category, text_key) as occurrences,
        row_number() over (
            partition by category, text_key
            order by label_score desc, posting_id, position, batch_id
        ) as occurrence_rank
    from preferred

),

ranked as (

    select
        *,
        row_number() over (
            partition by category
            order by
                case when is_preferred_length then 0 else 1 end,
                label_score desc,
                posting_id,
                position,
                batch_id
        ) as example_rank
    from deduplicated
    where occurrence_rank = 1

),

categories as (

    select * from {{ ref('stg_roleprint__taxonomy_categories') }}

)

select
    ranked.category,
    categories.category_name,
    ranked.example_rank,
    ranked.responsibility_text,
    ranked.label_score,
    ranked.text_length,
    ranked.is_preferred_length,
    ranked.occurrences,
    ranked.batch_id,
    ranked.posting_id,
    ranked.position

from ranked

left join categories
    on ranked.category = categories.category

where ranked.example_rank <= {{ per_category }}
