-- Every share and Wilson bound in the marts lies in [0, 1]. Returns offending rows.

{%- set checks = [
    ('category_frequency', 'category', ['share_of_roles', 'wilson_low', 'wilson_high']),
    ('subpattern_frequency', "category || '/' || subpattern", ['share_of_roles', 'share_within_category']),
    ('role_type_split', 'role_type', ['share']),
    ('titles_by_role_type', "title_normalized || '/' || role_type", ['share_of_title']),
    ('batch_trends', "batch_id || '/' || category", ['share_of_roles', 'wilson_low', 'wilson_high']),
] %}

{%- for model_name, key_sql, columns in checks %}
{%- for column in columns %}
select
    '{{ model_name }}' as mart,
    {{ key_sql }} as row_key,
    '{{ column }}' as measure,
    {{ column }} as value
from {{ ref(model_name) }}
where {{ column }} < 0 or {{ column }} > 1
{% if not loop.last %}union all{% endif %}
{%- endfor %}
{% if not loop.last %}union all{% endif %}
{%- endfor %}
