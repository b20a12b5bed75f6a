-- One row per role type (all four, including ones no posting has): analysed postings of
-- that type and their share of all analysed postings.

with

role_types as (

    select * from {{ ref('role_types') }}

),

postings as (

    select * from {{ ref('int_postings__analysed') }}

),

counts as (

    select
        role_type,
        count(*) as postings
    from postings
    group by role_type

),

total as (

    select count(*) as postings_total from postings

)

select
    role_types.role_type,
    role_types.role_type_name,
    role_types.sort_order,
    coalesce(counts.postings, 0) as postings,
    total.postings_total,
    {{ safe_share('coalesce(counts.postings, 0)', 'total.postings_total') }} as share

from role_types

cross join total

left join counts
    on role_types.role_type = counts.role_type
