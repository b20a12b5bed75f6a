-- The role-type split covers every analysed posting exactly once:
-- sum(role_type_split.postings) = analysed postings in clean.postings.

with

split as (

    select sum(postings) as postings from {{ ref('role_type_split') }}

),

analysed as (

    select count(*) as postings
    from {{ source('roleprint_clean', 'postings') }}
    where is_analysed

)

select
    split.postings as split_postings,
    analysed.postings as analysed_postings
from split
cross join analysed
where split.postings <> analysed.postings
