-- wilson_low <= share_of_roles <= wilson_high wherever a share exists (1e-12 slack for
-- floating-point rounding). Returns offending rows.

select
    'category_frequency' as mart,
    category as row_key,
    share_of_roles,
    wilson_low,
    wilson_high
from {{ ref('category_frequency') }}
where share_of_roles is not null
  and (
      wilson_low is null
      or wilson_high is null
      or wilson_low > share_of_roles + 1e-12
      or share_of_roles > wilson_high + 1e-12
  )

union all

select
    'batch_trends' as mart,
    batch_id || '/' || category as row_key,
    share_of_roles,
    wilson_low,
    wilson_high
from {{ ref('batch_trends') }}
where share_of_roles is not null
  and (
      wilson_low is null
      or wilson_high is null
      or wilson_low > share_of_roles + 1e-12
      or share_of_roles > wilson_high + 1e-12
  )
