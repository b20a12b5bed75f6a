with

source as (

    select * from {{ source('roleprint_raw', 'ingest_accounting') }}

),

renamed as (

    select
        cast(batch_id as {{ dbt.type_string() }}) as batch_id,
        cast(source as {{ dbt.type_string() }}) as source,
        cast(source_uri as {{ dbt.type_string() }}) as source_uri,
        cast(records_read as {{ dbt.type_int() }}) as records_read,
        cast(loaded as {{ dbt.type_int() }}) as loaded,
        cast(quarantined as {{ dbt.type_int() }}) as quarantined,
        cast(duplicates as {{ dbt.type_int() }}) as duplicates,
        cast(coalesce(unchanged, 0) as {{ dbt.type_int() }}) as unchanged,
        cast(coalesce(replaced, 0) as {{ dbt.type_int() }}) as replaced

    from source

)

select * from renamed
