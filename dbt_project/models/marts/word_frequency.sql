-- Word counts over the responsibility texts of analysed postings, two measures
-- (EVALUATION.md metric 4):
--   token_count                 whole-token count: texts lower-cased, split on whitespace
--                               only (like Python's str.split(), no punctuation stripping),
--                               tokens longer than 3 characters;
--   responsibilities_containing responsibilities whose lower-cased text contains the word as
--                               a substring ('deploy' also counts 'deployment').
-- Rows: the var('word_frequency_top_n') words with the highest token_count, plus every stem
-- of var('word_frequency_stems').

{%- set top_n = var('word_frequency_top_n') %}
{%- set stems = var('word_frequency_stems') %}

with

responsibilities as (

    select
        -- a number per responsibility, only to count distinct responsibilities below
        row_number() over () as responsibility_number,
        lower(responsibility_text) as text_lower
    from {{ ref('int_responsibilities__analysed') }}

),

-- split once, read by the token counts and by the substring counts
tokens as materialized (

    select
        responsibility_number,
        unnest({{ split_whitespace('text_lower') }}) as token
    from responsibilities

),

token_counts as (

    select
        token as word,
        count(*) as token_count
    from tokens
    where {{ dbt.length('token') }} > 3
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
    select {{ dbt.string_literal(stem | lower) }} as word
    {%- if not loop.last %}
    union all
    {%- endif %}
    {%- endfor %}
    {%- else %}
    select cast(null as {{ dbt.type_string() }}) as word
    where 1 = 0
    {%- endif %}

),

words as (

    select
        word,
        {{ dbt.bool_or('is_top_token') }} as is_top_token,
        {{ dbt.bool_or('is_stem') }} as is_stem
    from (
        select word, true as is_top_token, false as is_stem
        from top_tokens
        where token_position <= {{ top_n }}

        union all

        select word, false as is_top_token, true as is_stem
        from stems
    ) as selected
    group by word

),

-- A word without whitespace can only occur inside one whitespace-separated token, so the
-- substring test runs on the distinct tokens instead of on every responsibility (words x
-- responsibilities grows with the square of the data); a word with whitespace (a
-- configured stem) is tested on the texts themselves.
distinct_tokens as (

    select distinct token
    from tokens

),

word_tokens as (

    select
        words.word,
        distinct_tokens.token
    from words
    inner join distinct_tokens
        on {{ dbt.position('words.word', 'distinct_tokens.token') }} > 0

),

containing as (

    select
        words.word,
        count(distinct tokens.responsibility_number) as responsibilities_containing
    from words
    left join word_tokens
        on words.word = word_tokens.word
    left join tokens
        on word_tokens.token = tokens.token
    where not regexp_matches(words.word, {{ roleprint.whitespace_pattern() }})
    group by words.word

    union all

    select
        words.word,
        count(responsibilities.text_lower) as responsibilities_containing
    from words
    left join responsibilities
        on {{ dbt.position('words.word', 'responsibilities.text_lower') }} > 0
    where regexp_matches(words.word, {{ roleprint.whitespace_pattern() }})
    group by words.word

),

final as (

    select
        words.word,
        coalesce(token_counts.token_count, 0) as token_count,
        containing.responsibilities_containing,
        words.is_top_token,
        words.is_stem,
        function_words.word is not null as is_function_word

    from words

    left join {{ ref('english_function_words') }} as function_words
        on words.word = function_words.word

    inner join containing
        on words.word = containing.word

    left join token_counts
        on words.word = token_counts.word

)

select
    word,
    token_count,
    responsibilities_containing,
    row_number() over (order by token_count desc, word) as word_rank,
    is_top_token,
    is_stem,
    is_function_word

from final
