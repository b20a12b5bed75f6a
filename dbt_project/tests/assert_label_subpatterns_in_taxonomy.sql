{{ config(severity = 'warn') }}
-- A label's sub-pattern (when set) is one of its category's taxonomy sub-patterns.
-- Warn only: such labels would be missing from subpattern_frequency, not miscounted.
-- Checks the postings this build tests (macro in_postings_to_test).

select labels.*
from {{ source('roleprint_clean', 'responsibility_labels') }} as labels
left join {{ source('roleprint_clean', 'taxonomy_subpatterns') }} as subpatterns
    on labels.category = subpatterns.category
    and labels.subpattern = subpatterns.subpattern
where {{ in_postings_to_test('labels') }}
  and labels.subpattern is not null
  and subpatterns.subpattern is null
