-- Every label refers to an existing responsibility (batch_id, posting_id, position).
-- Checks the postings this build tests (macro in_postings_to_test).

select labels.*
from {{ source('roleprint_clean', 'responsibility_labels') }} as labels
left join {{ source('roleprint_clean', 'responsibilities') }} as responsibilities
    on labels.batch_id = responsibilities.batch_id
    and labels.posting_id = responsibilities.posting_id
    and labels.position = responsibilities.position
where {{ in_postings_to_test('labels') }}
  and responsibilities.posting_id is null
