-- Every cleaned posting has a row in meta.posting_changes: the incremental intermediate
-- models only build the postings it lists, so a posting missing from it would be left out
-- of every mart without a trace.

select
    postings.batch_id,
    postings.posting_id
from {{ source('roleprint_clean', 'postings') }} as postings
left join {{ source('roleprint_meta', 'posting_changes') }} as changes
    on postings.batch_id = changes.batch_id
    and postings.posting_id = changes.posting_id
where changes.posting_id is null
