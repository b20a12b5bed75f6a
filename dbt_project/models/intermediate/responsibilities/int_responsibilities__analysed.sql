-- One row per responsibility of an analysed posting, with its primary (rank-1) label.
-- The population of word_frequency and representative_responsibilities.
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

responsibilities as (

    {{ rows_of_changed_postings(ref('stg_roleprint__responsibilities'), 'responsibilities', with_change_seq=true) }}

),

postings as (

    select * from {{ ref('int_postings__joined') }}
    where is_analysed

),

labels as (

    {{ rows_of_changed_postings(ref('stg_roleprint__responsibility_labels'), 'labels') }}

),

label_summary as (

    select
        batch_id,
        posting_id,
        position,
        count(*) as label_count,
        max(case when label_rank = 1 then category end) as primary_category,
        max(case when label_rank = 1 then subpattern end) as primary_subpattern,
        max(case when label_rank = 1 then label_score end) as primary_score,
        max(case when label_rank = 1 then classifier end) as primary_classifier
    from labels
    group by batch_id, posting_id, position

)

select
    responsibilities.batch_id,
    responsibilities.posting_id,
    responsibilities.position,
    responsibilities.responsibility_text,
    responsibilities.section,
    responsibilities.extraction_method,
    postings.role_type,
    label_summary.primary_category,
    label_summary.primary_subpattern,
    label_summary.primary_score,
    label_summary.primary_classifier,
    coalesce(label_summary.label_count, 0) as label_count,
    responsibilities.change_seq

from responsibilities

inner join postings
    on responsibilities.batch_id = postings.batch_id
    and responsibilities.posting_id = postings.posting_id

left join label_summary
    on responsibilities.batch_id = label_summary.batch_id
    and responsibilities.posting_id = label_summary.posting_id
    and responsibilities.position = label_summary.position
