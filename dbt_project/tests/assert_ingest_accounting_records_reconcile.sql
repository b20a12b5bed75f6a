-- Source contract of raw.ingest_accounting, per file:
-- records_read = loaded + quarantined + duplicates.

select
    batch_id,
    source,
    source_uri,
    records_read,
    loaded,
    quarantined,
    duplicates
from {{ source('roleprint_raw', 'ingest_accounting') }}
where records_read <> loaded + quarantined + duplicates
