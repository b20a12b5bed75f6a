-- Per batch, how often each whitespace token longer than 3 characters occurs in the
-- responsibilities of analysed postings (int_responsibilities__words' token lists):
-- word_frequency's token_count is the sum over batches. Incremental by batch
-- (macros/incremental_by_batch.sql): a nightly run counts the new batch's tokens, not the
-- whole warehouse's.

{{
    config(
        materialized='incremental',
        incremental_strategy='replace_changed_batches',
        on_schema_change='fail'
    )
}}

with

changed as (

    {{ changed_batches() }}

),

tokens as (

    select
        batch_id,
        unnest(tokens) as token
    from {{ ref('int_responsibilities__words') }}
    where batch_id in (select batch_id from changed)

),

counts as (

    select
        batch_id,
        token,
        count(*) as token_count
    from tokens
    where {{ dbt.length('token') }} > 3
    group by batch_id, token

)

select
    counts.batch_id,
    counts.token,
    counts.token_count,
    changed.change_seq
from counts
inner join changed
    on counts.batch_id = changed.batch_id
