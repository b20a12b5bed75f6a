-- Every responsibility refers to a posting of clean.postings, and its text is non-empty.
-- Checks the postings this build tests (macro in_postings_to_test).

select
    responsibilities.batch_id,
    responsibilities.posting_id,
    responsibilities.position,
    case
        when postings.posting_id is null then 'no such posting'
        else 'empty text'
    end as problem
from {{ source('roleprint_clean', 'responsibilities') }} as responsibilities
left join {{ source('roleprint_clean', 'postings') }} as postings
    on responsibilities.batch_id = postings.batch_id
    and responsibilities.posting_id = postings.posting_id
where {{ in_postings_to_test('responsibilities') }}
  and (postings.posting_id is null or trim(responsibilities.text) = '')
