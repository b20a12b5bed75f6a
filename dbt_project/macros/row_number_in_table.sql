{#
    A number for each row of the table a query reads, the same wherever the table is read
    within one query, with no window over the table: DuckDB's rowid. Two reads of one table
    (a materialised candidate list and a streamed unnest of its lists) can then be joined on
    it without materialising the larger one. Another adapter supplies its own (a stable key
    hash or row number), dispatched.
#}
{% macro row_number_in_table() -%}
    {{ return(adapter.dispatch('row_number_in_table', 'roleprint')()) }}
{%- endmacro %}

{% macro default__row_number_in_table() -%}
    row_number() over (order by batch_id, posting_id, position)
{%- endmacro %}

{% macro duckdb__row_number_in_table() -%}
    rowid
{%- endmacro %}
