with

source as (

    select * from {{ source('roleprint_meta', 'posting_changes') }}

),

renamed as (

    select
        cast(batch_id as {{ dbt.type_string() }}) as batch_id,
        cast(posting_id as {{ dbt.type_string() }}) as posting_id,
        cast(change_seq as {{ dbt.type_bigint() }}) as change_seq

    from source

)

select * from renamed
