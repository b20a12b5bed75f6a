-- Source contract of clean.posting_role_types: exactly one row per posting in
-- clean.postings (no posting without a role type, no role type without a posting).

with

role_types as (

    select batch_id, posting_id, count(*) as role_type_rows
    from {{ source('roleprint_clean', 'posting_role_types') }}
    group by batch_id, posting_id

)

select
    coalesce(postings.batch_id, role_types.batch_id) as batch_id,
    coalesce(postings.posting_id, role_types.posting_id) as posting_id,
    coalesce(role_types.role_type_rows, 0) as role_type_rows,
    postings.posting_id is not null as posting_exists
from {{ source('roleprint_clean', 'postings') }} as postings
full outer join role_types
    on postings.batch_id = role_types.batch_id
    and postings.posting_id = role_types.posting_id
where postings.posting_id is null
   or coalesce(role_types.role_type_rows, 0) <> 1
