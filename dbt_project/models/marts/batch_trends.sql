-- One row per batch x taxonomy category: the category's share of roles within the batch,
-- with a 95% Wilson interval. A batch's postings are those that count in it
-- (int_postings__batch_membership: analysed, or a repost of an earlier batch's posting);
-- the denominator is those with at least one responsibility, as for category_frequency.

with

members as (

    select * from {{ ref('int_postings__batch_membership') }}
    where has_responsibilities

),

categories as (

    select * from {{ ref('stg_roleprint__taxonomy_categories') }}

),

batch_totals as (

    select
        batch_id,
        count(*) as postings_in_batch
    from members
    group by batch_id

),

-- counted distinct within each (batch, category): at a million postings, 0.3 s where a
-- distinct list of (batch, posting, category) rows counted afterwards took 2.4 s
with_category as (

    select
        batch_id,
        category,
        count(distinct posting_id) as postings_with_category
    from {{ ref('int_responsibilities__labelled') }}
    where counts_in_batch
    group by batch_id, category

),

grid as (

    select
        batch_totals.batch_id,
        batch_totals.postings_in_batch,
        categories.category,
        categories.category_name,
        categories.sort_order,
        coalesce(with_category.postings_with_category, 0) as postings_with_category

    from batch_totals

    cross join categories

    left join with_category
        on batch_totals.batch_id = with_category.batch_id
        and categories.category = with_category.category

)

select
    batch_id,
    category,
    category_name,
    sort_order,
    postings_in_batch,
    postings_with_category,
    {{ safe_share('postings_with_category', 'postings_in_batch') }} as share_of_roles,
    {{ wilson_interval('postings_with_category', 'postings_in_batch', 'low') }} as wilson_low,
    {{ wilson_interval('postings_with_category', 'postings_in_batch', 'high') }} as wilson_high

from grid
