with

source as (

    select * from {{ source('roleprint_clean', 'posting_role_types') }}

),

renamed as (

    select
        cast(batch_id as {{ dbt.type_string() }}) as batch_id,
        cast(posting_id as {{ dbt.type_string() }}) as posting_id,
        cast(role_type as {{ dbt.type_string() }}) as role_type,
        cast(score as {{ dbt.type_float() }}) as role_type_score,
        cast(method as {{ dbt.type_string() }}) as role_type_method,
        cast(reason as {{ dbt.type_string() }}) as role_type_reason

    from source

)

select * from renamed
