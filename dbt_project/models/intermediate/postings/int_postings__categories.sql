-- One row per analysed posting x category it has at least one responsibility labelled with
-- (any rank). The numerator of a category's share of roles.
-- Incremental by posting (macros/incremental_by_posting.sql).

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

labels as (

    {{ rows_of_changed_postings(ref('int_responsibilities__labelled'), 'labels') }}
    where labels.is_analysed

)

select
    batch_id,
    posting_id,
    category,
    count(*) as responsibilities_labelled,
    sum(case when is_primary then 1 else 0 end) as responsibilities_primary,
    min(label_rank) as best_label_rank,
    max(change_seq) as change_seq

from labels
group by batch_id, posting_id, category
