{#
    Fails for every combination of the given columns that occurs more than once (a
    composite primary key test, like dbt_utils.unique_combination_of_columns, without the
    package dependency).

        data_tests:
          - unique_combination:
              arguments:
                columns: [batch_id, posting_id]
#}
{% test unique_combination(model, columns) %}
{{ roleprint.unique_combination_rows(model, columns) }}
{% endtest %}
