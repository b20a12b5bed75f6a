-- Source contract of raw.ingest_accounting, per file:
-- records_read = loaded + quarantined + duplicates + unchanged (null before change detection).

select
    batch_id,
    source,
    source_uri,
    records_read,
    loaded,
    quarantined,
    duplicates,
    unchanged
from {{ source('roleprint_raw', 'ingest_accounting') }}
where records_read <> loaded + quarantined + duplicates + coalesce(unchanged, 0)
