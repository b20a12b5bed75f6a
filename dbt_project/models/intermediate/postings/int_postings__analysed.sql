-- Postings counted in the whole-warehouse analysis (is_analysed), one row each, with role
-- type and responsibility count.

with

postings as (

    select * from {{ ref('int_postings__joined') }}

)

select
    batch_id,
    posting_id,
    source,
    title,
    title_normalized,
    company,
    role_type,
    role_type_name,
    responsibility_count,
    has_responsibilities

from postings
where is_analysed
