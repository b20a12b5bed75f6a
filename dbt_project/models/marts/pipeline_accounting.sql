-- One row per batch and source: what happened to every record read (ingest accounting,
-- quarantine) and how many postings and responsibilities came out of it.

with

accounting as (

    select
        batch_id,
        source,
        sum(records_read) as records_read,
        sum(loaded) as loaded,
        sum(quarantined) as quarantined,
        sum(duplicates) as duplicates,
        sum(unchanged) as unchanged,
        sum(replaced) as replaced
    from {{ ref('stg_roleprint__ingest_accounting') }}
    group by batch_id, source

),

quarantine as (

    select
        batch_id,
        coalesce(source, '(unknown)') as source,
        count(*) as quarantine_records
    from {{ ref('stg_roleprint__quarantine') }}
    group by batch_id, coalesce(source, '(unknown)')

),

postings as (

    select
        batch_id,
        source,
        count(*) as postings,
        sum(case when is_analysed then 1 else 0 end) as postings_analysed,
        sum(responsibility_count) as responsibilities,
        sum(case when is_analysed then responsibility_count else 0 end) as responsibilities_analysed
    from {{ ref('int_postings__joined') }}
    group by batch_id, source

),

keys as (

    select batch_id, source from accounting
    union
    select batch_id, source from quarantine
    union
    select batch_id, source from postings

)

select
    keys.batch_id,
    keys.source,
    coalesce(accounting.records_read, 0) as records_read,
    coalesce(accounting.loaded, 0) as loaded,
    coalesce(accounting.quarantined, 0) as quarantined,
    coalesce(accounting.duplicates, 0) as duplicates,
    coalesce(accounting.unchanged, 0) as unchanged,
    coalesce(accounting.replaced, 0) as replaced,
    coalesce(quarantine.quarantine_records, 0) as quarantine_records,
    coalesce(postings.postings, 0) as postings,
    coalesce(postings.postings_analysed, 0) as postings_analysed,
    coalesce(postings.responsibilities, 0) as responsibilities,
    coalesce(postings.responsibilities_analysed, 0) as responsibilities_analysed

from keys

left join accounting
    on keys.batch_id = accounting.batch_id
    and keys.source = accounting.source

left join quarantine
    on keys.batch_id = quarantine.batch_id
    and keys.source = quarantine.source

left join postings
    on keys.batch_id = postings.batch_id
    and keys.source = postings.source
