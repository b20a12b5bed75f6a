{{ config(severity = 'warn') }}
-- ingest_accounting.loaded (summed per batch and source) matches the rows in raw.postings.
-- Warn only: the contract does not state this equality explicitly.

with

accounting as (

    select batch_id, source, sum(loaded) as loaded
    from {{ source('roleprint_raw', 'ingest_accounting') }}
    group by batch_id, source

),

postings as (

    select batch_id, source, count(*) as postings
    from {{ source('roleprint_raw', 'postings') }}
    group by batch_id, source

)

select
    coalesce(accounting.batch_id, postings.batch_id) as batch_id,
    coalesce(accounting.source, postings.source) as source,
    coalesce(accounting.loaded, 0) as loaded,
    coalesce(postings.postings, 0) as raw_postings
from accounting
full outer join postings
    on accounting.batch_id = postings.batch_id
    and accounting.source = postings.source
where coalesce(accounting.loaded, 0) <> coalesce(postings.postings, 0)
