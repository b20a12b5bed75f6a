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
  -- a text trims to nothing only if its first character does: that test is cheap, and the
  -- whole-text trim runs on the few texts that pass it (trimming every text of a million
  -- postings took 13 s of this test's 14)
  and (
      postings.posting_id is null
      or (trim(left(responsibilities.text, 1)) = '' and trim(responsibilities.text) = '')
  )
