-- Source contract of clean.responsibility_labels: every responsibility has exactly one
-- rank-1 label.

with

primary_labels as (

    select batch_id, posting_id, position, count(*) as primary_labels
    from {{ source('roleprint_clean', 'responsibility_labels') }}
    where rank = 1
    group by batch_id, posting_id, position

)

select
    responsibilities.batch_id,
    responsibilities.posting_id,
    responsibilities.position,
    coalesce(primary_labels.primary_labels, 0) as primary_labels
from {{ source('roleprint_clean', 'responsibilities') }} as responsibilities
left join primary_labels
    on responsibilities.batch_id = primary_labels.batch_id
    and responsibilities.posting_id = primary_labels.posting_id
    and responsibilities.position = primary_labels.position
where coalesce(primary_labels.primary_labels, 0) <> 1
