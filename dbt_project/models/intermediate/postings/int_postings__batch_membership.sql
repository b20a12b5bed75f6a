-- Postings that count in the per-batch figures of their own batch: analysed postings plus
-- reposts whose canonical posting lies in an earlier batch (docs/tables.md "Per-batch
-- figures": is_analysed or duplicate_of_batch_id <> batch_id).
-- A view: a filter of int_postings__joined, which is built incrementally.

{{ config(materialized='view') }}

with

postings as (

    select * from {{ ref('int_postings__joined') }}

)

select
    batch_id,
    posting_id,
    is_analysed,
    is_repost_from_earlier_batch,
    role_type,
    responsibility_count,
    has_responsibilities

from postings
where counts_in_batch
