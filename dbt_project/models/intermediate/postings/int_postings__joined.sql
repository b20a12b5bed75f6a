-- Every cleaned posting with its role type, responsibility count and the two flags that
-- decide where it is counted: in the whole-warehouse analysis (is_analysed) and in the
-- per-batch figures of its own batch (counts_in_batch, docs/tables.md "Per-batch figures").
-- Incremental by posting (macros/incremental_by_posting.sql): a run rebuilds the postings
-- changed since the last one, so a nightly increment costs what the increment holds.

{{
    config(
        materialized='incremental',
        incremental_strategy='replace_changed_postings',
        on_schema_change='fail'
    )
}}

with

changed as (

    {{ changed_postings() }}

),

postings as (

    {{ rows_of_changed_postings(ref('stg_roleprint__postings'), 'postings', with_change_seq=true) }}

),

role_types as (

    {{ rows_of_changed_postings(ref('stg_roleprint__posting_role_types'), 'role_types') }}

),

responsibility_counts as (

    select
        batch_id,
        posting_id,
        count(*) as responsibility_count
    from (
        {{ rows_of_changed_postings(ref('stg_roleprint__responsibilities'), 'responsibilities') }}
    ) as responsibilities
    group by batch_id, posting_id

),

joined as (

    select
        postings.batch_id,
        postings.posting_id,
        postings.source,
        postings.title,
        postings.title_normalized,
        postings.company,
        postings.is_analysed,
        postings.duplicate_of_posting_id,
        postings.duplicate_of_batch_id,
        postings.duplicate_reason,
        coalesce(role_types.role_type, 'unknown') as role_type,
        coalesce(responsibility_counts.responsibility_count, 0) as responsibility_count,
        postings.change_seq

    from postings

    left join role_types
        on postings.batch_id = role_types.batch_id
        and postings.posting_id = role_types.posting_id

    left join responsibility_counts
        on postings.batch_id = responsibility_counts.batch_id
        and postings.posting_id = responsibility_counts.posting_id

),

flagged as (

    select
        *,
        responsibility_count > 0 as has_responsibilities,
        -- A repost of a posting first seen in an earlier batch is not analysed (dedup on)
        -- but still counts in its own batch.
        (
            not is_analysed
            and duplicate_of_batch_id is not null
            and duplicate_of_batch_id <> batch_id
        ) as is_repost_from_earlier_batch,
        (
            is_analysed
            or coalesce(duplicate_of_batch_id <> batch_id, false)
        ) as counts_in_batch

    from joined

)

select * from flagged
