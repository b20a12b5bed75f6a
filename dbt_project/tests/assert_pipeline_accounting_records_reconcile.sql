-- Nothing is dropped silently: in pipeline_accounting every record read was loaded,
-- quarantined, counted as a duplicate, or found unchanged since an earlier run.

select
    batch_id,
    source,
    records_read,
    loaded,
    quarantined,
    duplicates,
    unchanged
from {{ ref('pipeline_accounting') }}
where records_read <> loaded + quarantined + duplicates + unchanged
