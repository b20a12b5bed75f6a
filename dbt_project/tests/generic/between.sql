{#
    Fails for every row whose value lies outside [min, max] (both inclusive). Nulls pass
    (combine with not_null where a value is required).

        data_tests:
          - between:
              arguments: {min: 0, max: 1}
#}
{% test between(model, column_name, min, max) %}

select {{ column_name }} as value_out_of_range
from {{ model }}
where {{ column_name }} < {{ min }}
   or {{ column_name }} > {{ max }}

{% endtest %}
