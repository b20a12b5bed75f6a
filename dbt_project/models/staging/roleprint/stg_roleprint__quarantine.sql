with

source as (

    select * from {{ source('roleprint_raw', 'quarantine') }}

),

renamed as (

    select
        cast(batch_id as {{ dbt.type_string() }}) as batch_id,
        cast(stage as {{ dbt.type_string() }}) as stage,
        cast(source as {{ dbt.type_string() }}) as source,
        cast(source_uri as {{ dbt.type_string() }}) as source_uri,
        cast(locator as {{ dbt.type_string() }}) as locator,
        cast(reason as {{ dbt.type_string() }}) as reason,
        cast(excerpt as {{ dbt.type_string() }}) as excerpt,
        cast(quarantined_at as {{ dbt.type_timestamp() }}) as quarantined_at

    from source

)

select * from renamed
