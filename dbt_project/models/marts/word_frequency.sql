-- Word counts over the responsibility texts of analysed postings, two measures
-- (EVALUATION.md metric 4):
--   token_count                 whole-token count: texts lower-cased, split on whitespace
--                               only (like Python's str.split(), no punctuation stripping),
--                               tokens longer than 3 characters;
--   responsibilities_containing responsibilities whose lower-cased text contains the word as
--                               a substring ('deploy' also counts 'deployment').
-- Rows: the var('word_frequency_top_n') words with the highest token_count, plus every stem
-- of var('word_frequency_stems').

-- depends_on: {{ ref('int_responsibilities__analysed') }} (texts, for a stem with whitespace)

{%- set top_n = var('word_frequency_top_n') %}
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

-- the lists of int_responsibilities__words (split once per changed posting) as rows, streamed
-- from the table by each reader (not materialised: at a million postings some 220 million
-- rows); a responsibility's number is its row's rowid there, the same in every read
tokens as not materialized (

    select
        {{ row_number_in_table() }} as responsibility_number,
        unnest(tokens) as token
    from {{ ref('int_responsibilities__words') }}

),

-- every distinct token, counted once per occurrence
all_token_counts as (

    select
        token,
        count(*) as token_count
    from tokens
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
        select word, true as is_top_token, false as is_stem, false as has_whitespace
        from top_tokens
        where token_position <= {{ top_n }}

        union all

        select word, false as is_top_token, true as is_stem, has_whitespace
        from stems
    ) as selected
    group by word

),

-- Responsibilities containing a word without whitespace: the word is inside one of their
-- tokens. Each such word gets a bit (word_number % 64) in a 64-bit lane (word_number // 64);
-- a token's mask has the bits of the words it contains, a responsibility's mask is the OR of
-- its tokens' masks, and a word's count is the number of responsibility masks with its bit
-- set. No distinct over (word, responsibility) pairs, whose number grows with the data.
token_words as (

    select
        word,
        row_number() over (order by word) - 1 as word_number
    from words
    where not has_whitespace

),

distinct_tokens as (

    select token
    from all_token_counts

),

token_masks as (

    select
        distinct_tokens.token,
        token_words.word_number // 64 as lane,
        bit_or(cast(1 as ubigint) << cast(token_words.word_number % 64 as ubigint)) as mask
    from distinct_tokens
    inner join token_words
        on {{ dbt.position('token_words.word', 'distinct_tokens.token') }} > 0
    group by distinct_tokens.token, token_words.word_number // 64

),

responsibility_masks as (

    select
        tokens.responsibility_number,
        token_masks.lane,
        bit_or(token_masks.mask) as mask
    from tokens
    inner join token_masks
        on tokens.token = token_masks.token
    group by tokens.responsibility_number, token_masks.lane

),

-- responsibilities with the same mask counted together, then each mask's bits
mask_counts as (

    select
        lane,
        mask,
        count(*) as responsibilities
    from responsibility_masks
    group by lane, mask

),

bit_counts as (

    select
        mask_counts.lane,
        bits.bit,
        sum(mask_counts.responsibilities) as responsibilities
    from mask_counts
    cross join range(64) as bits(bit)
    where (mask_counts.mask >> bits.bit) & 1 = 1
    group by mask_counts.lane, bits.bit

),

containing as (

    select
        token_words.word,
        coalesce(bit_counts.responsibilities, 0) as responsibilities_containing
    from token_words
    left join bit_counts
        on token_words.word_number // 64 = bit_counts.lane
        and token_words.word_number % 64 = bit_counts.bit

    {%- if spaced_stems | length > 0 %}

    union all

    -- a word with whitespace (a configured stem), tested on the texts themselves
    select
        words.word,
        count(texts.text_lower) as responsibilities_containing
    from words
    left join (
        select lower(responsibility_text) as text_lower
        from {{ ref('int_responsibilities__analysed') }}
    ) as texts
        on {{ dbt.position('words.word', 'texts.text_lower') }} > 0
    where words.has_whitespace
    group by words.word
    {%- endif %}

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
