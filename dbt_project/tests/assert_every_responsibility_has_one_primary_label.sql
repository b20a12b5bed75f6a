-- Source contract of clean.responsibility_labels: every responsibility has exactly one
-- rank-1 label.
-- Checks the postings this build tests (macro in_postings_to_test).

with

primary_labels as (

    select batch_id, posting_id, position, count(*) as primary_labels
    from {{ source('roleprint_clean', 'responsibility_labels') }} as labels
    where rank = 1
      and {{ in_postings_to_test('labels') }}
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
where {{ in_postings_to_test('responsibilities') }}
  and coalesce(primary_labels.primary_labels, 0) <> 1
