-- One row per pipeline stage x method: which method produced how many of the analysed
-- items, for the report's methods section. Stages: `extraction` (responsibilities of
-- analysed postings, by extraction method), `category_classification` (those
-- responsibilities, by the classifier of their primary label), `role_typing` (analysed
-- postings, by role-type method) and `deduplication` (every posting, by duplicate outcome).

with

postings as (

    select * from {{ ref('int_postings__joined') }}

),

responsibilities as (

    select * from {{ ref('int_responsibilities__analysed') }}

),

role_types as (

    select * from {{ ref('stg_roleprint__posting_role_types') }}

),

extraction as (

    select
        'extraction' as stage,
        extraction_method as method,
        'responsibilities' as unit,
        count(*) as items
    from responsibilities
    group by extraction_method

),

classification as (

    select
        'category_classification' as stage,
        coalesce(primary_classifier, '(unlabelled)') as method,
        'responsibilities' as unit,
        count(*) as items
    from responsibilities
    group by coalesce(primary_classifier, '(unlabelled)')

),

role_typing as (

    select
        'role_typing' as stage,
        coalesce(role_types.role_type_method, '(none)') as method,
        'postings' as unit,
        count(*) as items
    from postings
    left join role_types
        on postings.batch_id = role_types.batch_id
        and postings.posting_id = role_types.posting_id
    where postings.is_analysed
    group by coalesce(role_types.role_type_method, '(none)')

),

deduplication as (

    select
        'deduplication' as stage,
        case
            when duplicate_of_posting_id is null then 'unique'
            when is_analysed then 'duplicate, counted (dedup off)'
            when duplicate_reason = 'exact' then 'exact duplicate, counted once'
            else 'near-duplicate (repost), counted once'
        end as method,
        'postings' as unit,
        count(*) as items
    from postings
    group by 2

),

unioned as (

    select * from extraction
    union all
    select * from classification
    union all
    select * from role_typing
    union all
    select * from deduplication

)

select
    stage,
    method,
    unit,
    items,
    {{ safe_share('items', 'sum(items) over (partition by stage)') }} as share_of_stage

from unioned
