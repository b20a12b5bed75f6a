-- One row per analysed posting x (category, sub-pattern) it has at least one responsibility
-- labelled with (any rank). Labels without a sub-pattern are left out.
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
      and labels.subpattern is not null

)

select
    batch_id,
    posting_id,
    category,
    subpattern,
    count(*) as responsibilities_labelled,
    sum(case when is_primary then 1 else 0 end) as responsibilities_primary,
    max(change_seq) as change_seq

from labels
group by batch_id, posting_id, category, subpattern
