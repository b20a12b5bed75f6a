-- One row per batch after the first x taxonomy category: how the category's share of roles
-- moved since the previous batch, with a 95% interval of the difference, and whether that
-- interval excludes zero (`rose` / `fell`) or not (`steady`).
--
-- Batches are ordered by batch_id: batch ids are ISO dates (optionally suffixed), so they
-- sort in time order. The interval is Newcombe's hybrid score interval for a difference of
-- two independent proportions (Newcombe 1998, method 10), built from each batch's Wilson
-- bounds in batch_trends:
--     d     = p2 - p1
--     low   = d - sqrt((p2 - l2)^2 + (u1 - p1)^2)
--     high  = d + sqrt((u2 - p2)^2 + (p1 - l1)^2)
-- It is better founded than asking whether the two Wilson intervals overlap, which is too
-- strict (non-overlap implies a difference, but overlap does not imply none).

with

trends as (

    select * from {{ ref('batch_trends') }}

),

paired as (

    select
        batch_id,
        lag(batch_id) over by_batch as previous_batch_id,
        category,
        category_name,
        sort_order,
        postings_in_batch,
        lag(postings_in_batch) over by_batch as previous_postings_in_batch,
        share_of_roles,
        lag(share_of_roles) over by_batch as previous_share_of_roles,
        wilson_low,
        wilson_high,
        lag(wilson_low) over by_batch as previous_wilson_low,
        lag(wilson_high) over by_batch as previous_wilson_high

    from trends

    window by_batch as (partition by category order by batch_id)

),

differences as (

    select
        *,
        share_of_roles - previous_share_of_roles as share_change,
        share_of_roles - previous_share_of_roles - sqrt(
            power(share_of_roles - wilson_low, 2)
            + power(previous_wilson_high - previous_share_of_roles, 2)
        ) as change_low,
        share_of_roles - previous_share_of_roles + sqrt(
            power(wilson_high - share_of_roles, 2)
            + power(previous_share_of_roles - previous_wilson_low, 2)
        ) as change_high

    from paired
    where previous_batch_id is not null

)

select
    batch_id,
    previous_batch_id,
    category,
    category_name,
    sort_order,
    previous_postings_in_batch,
    postings_in_batch,
    previous_share_of_roles,
    share_of_roles,
    round(share_change, {{ var('wilson_decimals') }}) as share_change,
    round(change_low, {{ var('wilson_decimals') }}) as change_low,
    round(change_high, {{ var('wilson_decimals') }}) as change_high,
    case
        when change_low > 0 then 'rose'
        when change_high < 0 then 'fell'
        else 'steady'
    end as direction,
    batch_id = max(batch_id) over () as is_latest_batch

from differences
