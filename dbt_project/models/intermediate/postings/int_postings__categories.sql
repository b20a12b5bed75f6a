-- One row per analysed posting x category it has at least one responsibility labelled with
-- (any rank). The numerator of a category's share of roles.

with

labels as (

    select * from {{ ref('int_responsibilities__labelled') }}
    where is_analysed

)

select
    batch_id,
    posting_id,
    category,
    count(*) as responsibilities_labelled,
    sum(case when is_primary then 1 else 0 end) as responsibilities_primary,
    min(label_rank) as best_label_rank

from labels
group by batch_id, posting_id, category
