-- Postings counted in the whole-warehouse analysis (is_analysed), one row each, with role
-- type (and its display name) and responsibility count. A view: a filter of
-- int_postings__joined, which is built incrementally.

{{ config(materialized='view') }}

with

postings as (

    select * from {{ ref('int_postings__joined') }}
    where is_analysed

),

role_type_names as (

    select * from {{ ref('role_types') }}

)

select
    postings.batch_id,
    postings.posting_id,
    postings.source,
    postings.title,
    postings.title_normalized,
    postings.company,
    postings.role_type,
    coalesce(role_type_names.role_type_name, 'Unknown') as role_type_name,
    postings.responsibility_count,
    postings.has_responsibilities

from postings

left join role_type_names
    on postings.role_type = role_type_names.role_type
