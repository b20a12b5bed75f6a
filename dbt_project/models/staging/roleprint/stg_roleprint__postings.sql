with

source as (

    select * from {{ source('roleprint_clean', 'postings') }}

),

renamed as (

    select
        -- ids
        cast(posting_id as {{ dbt.type_string() }}) as posting_id,
        cast(batch_id as {{ dbt.type_string() }}) as batch_id,
        cast(source as {{ dbt.type_string() }}) as source,
        cast(source_uri as {{ dbt.type_string() }}) as source_uri,
        cast(raw_hash as {{ dbt.type_string() }}) as raw_hash,

        -- posting as given
        cast(title as {{ dbt.type_string() }}) as title,
        cast(company as {{ dbt.type_string() }}) as company,
        cast(location as {{ dbt.type_string() }}) as location,
        cast(posted_date as date) as posted_date,
        cast(description_format as {{ dbt.type_string() }}) as description_format,
        cast(extra as {{ dbt.type_string() }}) as extra_json,
        precomputed_responsibilities,
        cast(precomputed_role_type as {{ dbt.type_string() }}) as precomputed_role_type,

        -- normalised
        cast(description_text as {{ dbt.type_string() }}) as description_text,
        cast(title_normalized as {{ dbt.type_string() }}) as title_normalized,
        cast(seniority as {{ dbt.type_string() }}) as seniority,
        cast(language as {{ dbt.type_string() }}) as language,
        cast(pii_redactions as {{ dbt.type_int() }}) as pii_redactions,

        -- dedup
        cast(duplicate_of as {{ dbt.type_string() }}) as duplicate_of_posting_id,
        cast(duplicate_of_batch_id as {{ dbt.type_string() }}) as duplicate_of_batch_id,
        cast(duplicate_reason as {{ dbt.type_string() }}) as duplicate_reason,
        cast(is_analysed as {{ dbt.type_boolean() }}) as is_analysed,

        -- timestamps
        cast(ingested_at as {{ dbt.type_timestamp() }}) as ingested_at

    from source

)

select * from renamed
