with

source as (

    select * from {{ source('roleprint_clean', 'taxonomy_categories') }}

),

renamed as (

    select
        cast(category as {{ dbt.type_string() }}) as category,
        cast(taxonomy as {{ dbt.type_string() }}) as taxonomy,
        cast(taxonomy_version as {{ dbt.type_string() }}) as taxonomy_version,
        cast(sort_order as {{ dbt.type_int() }}) as sort_order,
        cast(name as {{ dbt.type_string() }}) as category_name,
        cast(problem as {{ dbt.type_string() }}) as problem,
        what_people_do,
        cast(core_challenge as {{ dbt.type_string() }}) as core_challenge

    from source

)

select * from renamed
