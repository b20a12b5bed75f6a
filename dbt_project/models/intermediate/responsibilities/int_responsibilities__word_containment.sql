-- Per batch and word of int_responsibilities__frequent_words, the number of responsibilities
-- of analysed postings whose lower-cased text contains the word as a substring:
-- word_frequency's responsibilities_containing is the sum over batches.
-- Incremental by batch (macros/incremental_by_batch.sql): a run counts every word of
-- int_responsibilities__frequent_words (reported or margin) for the batches with a changed
-- posting, and for the other batches only the reported words they have no row for (words
-- new to the report that were not in the margin when the batch was counted). Every batch
-- thus has a row for every reported word, as on a full build; rows of words that left
-- int_responsibilities__frequent_words are removed after the build (post-hook). A margin
-- word may lack rows in batches counted before it entered the margin: the mart reads the
-- reported words only.

{{
    config(
        materialized='incremental',
        incremental_strategy='replace_changed_batches',
        on_schema_change='fail',
        post_hook="delete from {{ this }} where word not in (select word from {{ ref('int_responsibilities__frequent_words') }})"
    )
}}

with

changed as (

    {{ changed_batches() }}

),

selected as (

    select
        word,
        has_whitespace,
        is_reported,
        row_number() over (order by word) - 1 as word_number
    from {{ ref('int_responsibilities__frequent_words') }}

),

-- every batch with responsibilities of analysed postings, and its change number
batches as (

    select
        batch_changes.batch_id,
        max(batch_changes.change_seq) as change_seq
    from {{ ref('stg_roleprint__posting_changes') }} as batch_changes
    where batch_changes.batch_id in (
        select distinct batch_id from {{ ref('int_responsibilities__words') }}
    )
    group by batch_changes.batch_id

),

-- the (batch, word) pairs this build counts
wanted as (

    select
        batches.batch_id,
        batches.change_seq,
        selected.word,
        selected.word_number,
        selected.has_whitespace
    from batches
    cross join selected
    {%- if is_incremental() %}
    where batches.batch_id in (select batch_id from changed)
        or (
            selected.is_reported
            and not exists (
                select 1
                from {{ this }} as counted
                where counted.batch_id = batches.batch_id
                    and counted.word = selected.word
            )
        )
    {%- endif %}

),

wanted_batches as (

    select distinct batch_id
    from wanted

),

-- the token lists of the wanted batches as rows, streamed from the table by each reader;
-- a responsibility's number is its row's rowid there
tokens as not materialized (

    select
        batch_id,
        {{ row_number_in_table() }} as responsibility_number,
        unnest(tokens) as token
    from {{ ref('int_responsibilities__words') }}
    where batch_id in (select batch_id from wanted_batches)

),

-- Responsibilities containing a word without whitespace: the word is inside one of their
-- tokens. Each such word gets a bit (word_number % 64) in a 64-bit lane (word_number // 64);
-- a token's mask has the bits of the words it contains, a responsibility's mask is the OR of
-- its tokens' masks, and a word's count is the number of responsibility masks with its bit
-- set. No distinct over (word, responsibility) pairs, whose number grows with the data.
token_words as (

    select
        word,
        word_number
    from selected
    where not has_whitespace

),

distinct_tokens as (

    select distinct token
    from tokens

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
        tokens.batch_id,
        tokens.responsibility_number,
        token_masks.lane,
        bit_or(token_masks.mask) as mask
    from tokens
    inner join token_masks
        on tokens.token = token_masks.token
    group by tokens.batch_id, tokens.responsibility_number, token_masks.lane

),

-- responsibilities with the same mask counted together, then each mask's bits
mask_counts as (

    select
        batch_id,
        lane,
        mask,
        count(*) as responsibilities
    from responsibility_masks
    group by batch_id, lane, mask

),

bit_counts as (

    select
        mask_counts.batch_id,
        mask_counts.lane,
        bits.bit,
        sum(mask_counts.responsibilities) as responsibilities
    from mask_counts
    cross join range(64) as bits(bit)
    where (mask_counts.mask >> bits.bit) & 1 = 1
    group by mask_counts.batch_id, mask_counts.lane, bits.bit

),

containing as (

    select
        wanted.batch_id,
        wanted.word,
        coalesce(bit_counts.responsibilities, 0) as responsibilities_containing
    from wanted
    left join bit_counts
        on wanted.batch_id = bit_counts.batch_id
        and wanted.word_number // 64 = bit_counts.lane
        and wanted.word_number % 64 = bit_counts.bit
    where not wanted.has_whitespace

    union all

    -- a word with whitespace (a configured stem), tested on the texts themselves
    select
        wanted.batch_id,
        wanted.word,
        count(texts.text_lower) as responsibilities_containing
    from wanted
    left join (
        select
            batch_id,
            lower(responsibility_text) as text_lower
        from {{ ref('int_responsibilities__analysed') }}
        where batch_id in (select batch_id from wanted_batches)
    ) as texts
        on wanted.batch_id = texts.batch_id
        and {{ dbt.position('wanted.word', 'texts.text_lower') }} > 0
    where wanted.has_whitespace
    group by wanted.batch_id, wanted.word

)

select
    containing.batch_id,
    containing.word,
    cast(containing.responsibilities_containing as {{ dbt.type_bigint() }})
        as responsibilities_containing,
    wanted.change_seq
from containing
inner join wanted
    on containing.batch_id = wanted.batch_id
    and containing.word = wanted.word
