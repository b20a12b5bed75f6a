-- One row per taxonomy category (including `other`, and categories no posting has):
-- how many analysed postings with at least one responsibility ask for it, its share of
-- roles with a 95% Wilson score interval, and its frequency band.

with

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

responsibility_counts as (

    select
        category,
        sum(case when is_primary then 1 else 0 end) as responsibility_count,
        count(*) as responsibility_mentions
    from {{ ref('int_responsibilities__labelled') }}
    where is_analysed
    group by category

),

joined as (

    select
        categories.category,
        categories.category_name,
        categories.sort_order,
        coalesce(postings_with_category.postings_with_category, 0) as postings_with_category,
        postings_total.postings_total,
        coalesce(responsibility_counts.responsibility_count, 0) as responsibility_count,
        coalesce(responsibility_counts.responsibility_mentions, 0) as responsibility_mentions

    from categories

    cross join postings_total

    left join postings_with_category
        on categories.category = postings_with_category.category

    left join responsibility_counts
        on categories.category = responsibility_counts.category

),

shares as (

    select
        *,
        {{ safe_share('postings_with_category', 'postings_total') }} as share_of_roles,
        {{ wilson_interval('postings_with_category', 'postings_total', 'low') }} as wilson_low,
        {{ wilson_interval('postings_with_category', 'postings_total', 'high') }} as wilson_high

    from joined

),

banded as (

    select
        *,
        {{ frequency_band('share_of_roles') }} as band

    from shares

),

final as (

    select
        category,
        category_name,
        sort_order,
        postings_with_category,
        postings_total,
        share_of_roles,
        wilson_low,
        wilson_high,
        band,
        {{ frequency_band_order('band') }} as band_order,
        responsibility_count,
        responsibility_mentions,
        row_number() over (
            order by postings_with_category desc, sort_order, category
        ) as frequency_rank,
        category = 'other' as is_other

    from banded

)

select * from final
