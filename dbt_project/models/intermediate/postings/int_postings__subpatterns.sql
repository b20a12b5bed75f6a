-- One row per analysed posting x (category, sub-pattern) it has at least one responsibility
-- labelled with (any rank). Labels without a sub-pattern are left out.

with

labels as (

    select * from {{ ref('int_responsibilities__labelled') }}
    where is_analysed
      and subpattern is not null

)

select
    batch_id,
    posting_id,
    category,
    subpattern,
    count(*) as responsibilities_labelled,
    sum(case when is_primary then 1 else 0 end) as responsibilities_primary

from labels
group by batch_id, posting_id, category, subpattern
