-- Every taxonomy category (including `other` and categories no posting has) has a row in
-- category_frequency, and the mart has no category outside the taxonomy.

select
    coalesce(taxonomy.category, marts.category) as category,
    case
        when marts.category is null then 'missing from category_frequency'
        else 'not in the taxonomy'
    end as problem
from {{ ref('stg_roleprint__taxonomy_categories') }} as taxonomy
full outer join {{ ref('category_frequency') }} as marts
    on taxonomy.category = marts.category
where taxonomy.category is null
   or marts.category is null
