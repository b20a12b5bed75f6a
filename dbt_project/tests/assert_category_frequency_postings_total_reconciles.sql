-- category_frequency.postings_total = analysed postings with at least one responsibility,
-- counted straight from the sources, on every row.

with

expected as (

    select count(*) as postings_total
    from {{ source('roleprint_clean', 'postings') }} as postings
    where postings.is_analysed
      and exists (
          select 1
          from {{ source('roleprint_clean', 'responsibilities') }} as responsibilities
          where responsibilities.batch_id = postings.batch_id
            and responsibilities.posting_id = postings.posting_id
      )

)

select
    marts.category,
    marts.postings_total,
    expected.postings_total as expected_postings_total
from {{ ref('category_frequency') }} as marts
cross join expected
where marts.postings_total <> expected.postings_total
