{#
    A fixed-width key for a text: grouping or joining on it compares 16 bytes instead of the
    whole string (representative_responsibilities groups some 12 million texts at a million
    postings: 3.1 s on the text, 1.7 s on its key). MD5, so the key is the same in every
    DuckDB version and on every machine (a stored key is compared with keys computed in later
    builds); two different texts share a key with a probability of about n^2 / 2^129, some
    1e-25 for ten million texts. Another adapter supplies its own, dispatched.
#}
{% macro text_hash(expression) -%}
    {{ return(adapter.dispatch('text_hash', 'roleprint')(expression)) }}
{%- endmacro %}

{% macro default__text_hash(expression) -%}
    md5({{ expression }})
{%- endmacro %}

{% macro duckdb__text_hash(expression) -%}
    md5_number({{ expression }})
{%- endmacro %}
