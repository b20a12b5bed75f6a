with

source as (

    select * from {{ source('roleprint_clean', 'responsibilities') }}

),

renamed as (

    select
        cast(batch_id as {{ dbt.type_string() }}) as batch_id,
        cast(posting_id as {{ dbt.type_string() }}) as posting_id,
        cast(position as {{ dbt.type_int() }}) as position,
        cast(text as {{ dbt.type_string() }}) as responsibility_text,
        cast(section as {{ dbt.type_string() }}) as section,
        cast(method as {{ dbt.type_string() }}) as extraction_method

    from source

)

select * from renamed
