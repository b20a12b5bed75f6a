with

source as (

    select * from {{ source('roleprint_clean', 'responsibility_labels') }}

),

renamed as (

    select
        cast(batch_id as {{ dbt.type_string() }}) as batch_id,
        cast(posting_id as {{ dbt.type_string() }}) as posting_id,
        cast(position as {{ dbt.type_int() }}) as position,
        cast(category as {{ dbt.type_string() }}) as category,
        cast(subpattern as {{ dbt.type_string() }}) as subpattern,
        cast(rank as {{ dbt.type_int() }}) as label_rank,
        cast(score as {{ dbt.type_float() }}) as label_score,
        cast(classifier as {{ dbt.type_string() }}) as classifier,
        cast(evidence as {{ dbt.type_string() }}) as evidence

    from source

)

select * from renamed
