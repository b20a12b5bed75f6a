{{ config(severity = 'warn') }}
-- ingest_accounting.loaded (summed per batch and source) matches the rows in raw.postings
-- plus the superseded versions in raw.superseded_postings.
-- Warn only: the contract does not state this equality explicitly.

with

accounting as (

    select batch_id, source, sum(loaded) as loaded
    from {{ source('roleprint_raw', 'ingest_accounting') }}
    group by batch_id, source

),

postings as (

    -- a loaded posting is current, or superseded by a later version
    select batch_id, source, count(*) as postings
    from (
        select batch_id, source from {{ source('roleprint_raw', 'postings') }}
        union all
        select batch_id, source from {{ source('roleprint_raw', 'superseded_postings') }}
    ) as loaded_versions
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
