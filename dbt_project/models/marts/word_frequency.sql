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

-- Not materialised, and read by two streaming passes (token counts, then the substring
-- counts): at a million postings the token rows are ~160M, and keeping them (with a number
-- per responsibility) spilled ~20 GB to disk and took ~9 minutes.
responsibilities as not materialized (

    select
        batch_id,
        posting_id,
        position,
        lower(responsibility_text) as text_lower
    from {{ ref('int_responsibilities__analysed') }}

),

-- every distinct token with its count, in one aggregation
all_token_counts as (

    select
        token,
        count(*) as token_count
    from (
        select unnest({{ split_whitespace('text_lower') }}) as token
        from responsibilities
    ) as tokens
    group by token

),

token_counts as (

    select
        token as word,
        token_count
    from all_token_counts
    where {{ dbt.length('token') }} > 3

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
word_tokens as (

    select
        words.word,
        all_token_counts.token
    from words
    inner join all_token_counts
        on {{ dbt.position('words.word', 'all_token_counts.token') }} > 0

),

-- (word, responsibility) for every responsibility with a token containing the word: a
-- second pass over the texts, joined to the few tokens that contain a selected word
responsibilities_with_word as (

    select distinct
        word_tokens.word,
        tokens.batch_id,
        tokens.posting_id,
        tokens.position
    from (
        select
            batch_id,
            posting_id,
            position,
            unnest({{ split_whitespace('text_lower') }}) as token
        from responsibilities
    ) as tokens
    inner join word_tokens
        on tokens.token = word_tokens.token

),

containing as (

    select
        words.word,
        count(responsibilities_with_word.word) as responsibilities_containing
    from words
    left join responsibilities_with_word
        on words.word = responsibilities_with_word.word
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
