-- One row per taxonomy sub-pattern (including those no posting has): how many analysed
-- postings with at least one responsibility ask for it, as a share of those postings and
-- as a share of the postings that have its category.

with

subpatterns as (

    select * from {{ ref('stg_roleprint__taxonomy_subpatterns') }}

),

categories as (

    select * from {{ ref('stg_roleprint__taxonomy_categories') }}

),

postings_total as (

    select count(*) as postings_total
    from {{ ref('int_postings__analysed') }}
    where has_responsibilities

),

postings_with_category as (

    select
        category,
        count(*) as postings_with_category
    from {{ ref('int_postings__categories') }}
    group by category

),

postings_with_subpattern as (

    select
        category,
        subpattern,
        count(*) as postings_with_subpattern
    from {{ ref('int_postings__subpatterns') }}
    group by category, subpattern

),

responsibility_counts as (

    select
        category,
        subpattern,
        sum(case when is_primary then 1 else 0 end) as responsibility_count,
        count(*) as responsibility_mentions
    from {{ ref('int_responsibilities__labelled') }}
    where is_analysed
      and subpattern is not null
    group by category, subpattern

),

joined as (

    select
        subpatterns.category,
        categories.category_name,
        categories.sort_order as category_sort_order,
        subpatterns.subpattern,
        subpatterns.subpattern_name,
        subpatterns.sort_order,
        coalesce(postings_with_subpattern.postings_with_subpattern, 0) as postings_with_subpattern,
        coalesce(postings_with_category.postings_with_category, 0) as postings_with_category,
        postings_total.postings_total,
        coalesce(responsibility_counts.responsibility_count, 0) as responsibility_count,
        coalesce(responsibility_counts.responsibility_mentions, 0) as responsibility_mentions

    from subpatterns

    cross join postings_total

    left join categories
        on subpatterns.category = categories.category

    left join postings_with_category
        on subpatterns.category = postings_with_category.category

    left join postings_with_subpattern
        on subpatterns.category = postings_with_subpattern.category
        and subpatterns.subpattern = postings_with_subpattern.subpattern

    left join responsibility_counts
        on subpatterns.category = responsibility_counts.category
        and subpatterns.subpattern = responsibility_counts.subpattern

)

select
    category,
    category_name,
    category_sort_order,
    subpattern,
    subpattern_name,
    sort_order,
    postings_with_subpattern,
    postings_with_category,
    postings_total,
    {{ safe_share('postings_with_subpattern', 'postings_total') }} as share_of_roles,
    {{ safe_share('postings_with_subpattern', 'postings_with_category') }} as share_within_category,
    responsibility_count,
    responsibility_mentions

from joined
