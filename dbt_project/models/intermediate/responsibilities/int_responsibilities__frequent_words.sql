-- The words word_frequency reports: the var('word_frequency_top_n') whole tokens (longer
-- than 3 characters) with the highest count over all batches (ties by word), plus every stem
-- of var('word_frequency_stems'), with the token count summed over batches
-- (int_responsibilities__token_counts). Also the next var('word_frequency_count_margin')
-- tokens by count, not reported (is_reported false): int_responsibilities__word_containment
-- counts the responsibilities containing all these words whenever it reads a batch, so a
-- word that climbs into the top N after a nightly batch usually has its counts in every
-- older batch already (without the margin, one such word cost a read of every token in the
-- warehouse: 52 s of a 10k increment onto a million postings). A small table.

{%- set top_n = var('word_frequency_top_n') %}
{%- set margin = var('word_frequency_count_margin') %}
{%- set stems = var('word_frequency_stems') %}
{#- A stem without whitespace can only occur inside one whitespace-separated token; one with
    whitespace is looked for in the whole texts. -#}
{%- set spaced_stems = [] %}
{%- for stem in stems %}
{%- set parts = (stem | lower).split() %}
{%- if parts | length > 1 or parts | join(' ') != (stem | lower) %}
{%- do spaced_stems.append(stem | lower) %}
{%- endif %}
{%- endfor %}

with

token_counts as (

    select
        token as word,
        cast(sum(token_count) as {{ dbt.type_bigint() }}) as token_count
    from {{ ref('int_responsibilities__token_counts') }}
    group by token

),

top_tokens as (

    select
        word,
        row_number() over (order by token_count desc, word) as token_position
    from token_counts

),

stems as (

    {%- if stems | length > 0 %}
    {%- for stem in stems %}
    select
        {{ dbt.string_literal(stem | lower) }} as word,
        {{ 'true' if (stem | lower) in spaced_stems else 'false' }} as has_whitespace
    {%- if not loop.last %}
    union all
    {%- endif %}
    {%- endfor %}
    {%- else %}
    select
        cast(null as {{ dbt.type_string() }}) as word,
        false as has_whitespace
    where 1 = 0
    {%- endif %}

),

words as (

    select
        word,
        {{ dbt.bool_or('is_top_token') }} as is_top_token,
        {{ dbt.bool_or('is_stem') }} as is_stem,
        {{ dbt.bool_or('has_whitespace') }} as has_whitespace
    from (
        select
            word,
            token_position <= {{ top_n }} as is_top_token,
            false as is_stem,
            false as has_whitespace
        from top_tokens
        where token_position <= {{ top_n + margin }}

        union all

        select word, false as is_top_token, true as is_stem, has_whitespace
        from stems
    ) as selected
    group by word

)

select
    words.word,
    coalesce(token_counts.token_count, 0) as token_count,
    words.is_top_token,
    words.is_stem,
    words.is_top_token or words.is_stem as is_reported,
    words.has_whitespace
from words
left join token_counts
    on words.word = token_counts.word
