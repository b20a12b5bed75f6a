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

-- the primary label: exactly one rank-1 row per responsibility (the labels' blocking GX
-- check), so a plain join and no aggregation over the labels (at a million postings,
-- counting each responsibility's labels here took most of this model's time and memory)
primary_labels as (

    select
        batch_id,
        posting_id,
        position,
        category as primary_category,
        subpattern as primary_subpattern,
        label_score as primary_score,
        classifier as primary_classifier
    from labels
    where label_rank = 1

)

select
    responsibilities.batch_id,
    responsibilities.posting_id,
    responsibilities.position,
    responsibilities.responsibility_text,
    responsibilities.section,
    responsibilities.extraction_method,
    postings.role_type,
    primary_labels.primary_category,
    primary_labels.primary_subpattern,
    primary_labels.primary_score,
    primary_labels.primary_classifier,
    responsibilities.change_seq

from responsibilities

inner join postings
    on responsibilities.batch_id = postings.batch_id
    and responsibilities.posting_id = postings.posting_id

left join primary_labels
    on responsibilities.batch_id = primary_labels.batch_id
    and responsibilities.posting_id = primary_labels.posting_id
    and responsibilities.position = primary_labels.position
