with

source as (

    select * from {{ source('roleprint_clean', 'taxonomy_subpatterns') }}

),

renamed as (

    select
        cast(category as {{ dbt.type_string() }}) as category,
        cast(subpattern as {{ dbt.type_string() }}) as subpattern,
        cast(taxonomy_version as {{ dbt.type_string() }}) as taxonomy_version,
        cast(sort_order as {{ dbt.type_int() }}) as sort_order,
        cast(name as {{ dbt.type_string() }}) as subpattern_name,
        cast(description as {{ dbt.type_string() }}) as subpattern_description

    from source

)

select * from renamed
