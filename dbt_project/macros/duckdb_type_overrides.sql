{#
    dbt.type_float() renders `float`, which DuckDB reads as FLOAT4 (single precision): too
    coarse for shares, Wilson bounds and classifier scores. On DuckDB use DOUBLE instead (the
    dbt namespace dispatch looks in the root project first, so this overrides the default).
#}
{% macro duckdb__type_float() -%}
    {{ return('double') }}
{%- endmacro %}
