-- One row per label of a responsibility (responsibility x category, up to three per
-- responsibility), with the counting flags of its posting. Without the responsibility's
-- text: no reader of these label rows needs it, and copying it into every label row was
-- most of this model's cost (int_responsibilities__analysed carries the texts).
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

    {{ rows_of_changed_postings(ref('stg_roleprint__responsibility_labels'), 'labels', with_change_seq=true) }}

),

-- joined on its keys only (the classify stage writes labels with their responsibilities)
responsibilities as (

    {{ rows_of_changed_postings(ref('stg_roleprint__responsibilities'), 'responsibilities') }}

),

postings as (

    select * from {{ ref('int_postings__joined') }}

)

select
    labels.batch_id,
    labels.posting_id,
    labels.position,
    labels.category,
    labels.subpattern,
    labels.label_rank,
    labels.label_rank = 1 as is_primary,
    labels.label_score,
    labels.classifier,
    postings.is_analysed,
    postings.counts_in_batch,
    labels.change_seq

from labels

inner join responsibilities
    on labels.batch_id = responsibilities.batch_id
    and labels.posting_id = responsibilities.posting_id
    and labels.position = responsibilities.position

inner join postings
    on labels.batch_id = postings.batch_id
    and labels.posting_id = postings.posting_id
