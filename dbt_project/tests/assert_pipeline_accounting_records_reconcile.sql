-- Nothing is dropped silently: in pipeline_accounting every record read was loaded,
-- quarantined or counted as a duplicate.

select
    batch_id,
    source,
    records_read,
    loaded,
    quarantined,
    duplicates
from {{ ref('pipeline_accounting') }}
where records_read <> loaded + quarantined + duplicates
