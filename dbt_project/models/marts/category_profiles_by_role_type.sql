-- One row per role type x taxonomy category: the category's share of that role type's roles
-- (95% Wilson interval), its share among the roles of every other type, and the difference,
-- so "what AI-Support roles do that AI-First ones don't" is a column, not an impression.

with

categories as (

    select * from {{ ref('stg_roleprint__taxonomy_categories') }}

),

role_types as (

    select * from {{ ref('role_types') }}

),

postings as (

    select batch_id, posting_id, role_type
    from {{ ref('int_postings__analysed') }}
    where has_responsibilities

),

postings_per_role_type as (

    select role_type, count(*) as role_type_postings
    from postings
    group by role_type

),

postings_total as (

    select count(*) as postings_total from postings

),

with_category as (

    select
        postings.role_type,
        posting_categories.category,
        count(*) as postings_with_category
    from {{ ref('int_postings__categories') }} as posting_categories
    inner join postings
        on posting_categories.batch_id = postings.batch_id
        and posting_categories.posting_id = postings.posting_id
    group by postings.role_type, posting_categories.category

),

category_totals as (

    select category, sum(postings_with_category) as category_postings
    from with_category
    group by category

),

grid as (

    select
        role_types.role_type,
        role_types.role_type_name,
        role_types.sort_order as role_type_order,
        categories.category,
        categories.category_name,
        categories.sort_order as category_order,
        coalesce(postings_per_role_type.role_type_postings, 0) as role_type_postings,
        coalesce(with_category.postings_with_category, 0) as postings_with_category,
        postings_total.postings_total - coalesce(postings_per_role_type.role_type_postings, 0)
            as other_postings,
        coalesce(category_totals.category_postings, 0)
            - coalesce(with_category.postings_with_category, 0) as other_postings_with_category
    from role_types
    cross join categories
    cross join postings_total
    left join postings_per_role_type
        on role_types.role_type = postings_per_role_type.role_type
    left join with_category
        on role_types.role_type = with_category.role_type
        and categories.category = with_category.category
    left join category_totals
        on categories.category = category_totals.category

)

select
    role_type,
    role_type_name,
    role_type_order,
    category,
    category_name,
    category_order,
    role_type_postings,
    postings_with_category,
    {{ safe_share('postings_with_category', 'role_type_postings') }} as share_of_roles,
    {{ wilson_interval('postings_with_category', 'role_type_postings', 'low') }} as wilson_low,
    {{ wilson_interval('postings_with_category', 'role_type_postings', 'high') }} as wilson_high,
    other_postings,
    {{ safe_share('other_postings_with_category', 'other_postings') }} as share_of_other_roles,
    {{ safe_share('postings_with_category', 'role_type_postings') }}
        - {{ safe_share('other_postings_with_category', 'other_postings') }} as share_difference

from grid
