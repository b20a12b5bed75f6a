{#
    95% (by default) Wilson score interval for a binomial proportion successes / total.

        p      = successes / total
        centre = (p + z^2 / (2n)) / (1 + z^2 / n)
        half   = z / (1 + z^2 / n) * sqrt(p (1 - p) / n + z^2 / (4 n^2))
        low    = centre - half,  high = centre + half

    Returns a SQL expression for the requested bound ('low' or 'high'), clamped to [0, 1]
    (exactly 0 / 1 at p = 0 / p = 1), rounded to var('wilson_decimals') (6) decimal places
    so the last-bit noise of the floating-point evaluation never shows (the interval is
    meaningful to ~3 decimals), and null when total is 0.
#}
{% macro wilson_interval(successes, total, bound, z=none, decimals=none) -%}
    {%- if bound not in ('low', 'high') -%}
        {{ exceptions.raise_compiler_error("wilson_interval: bound must be 'low' or 'high', got " ~ bound) }}
    {%- endif -%}
    {%- set z_value = z if z is not none else var('wilson_z', 1.96) -%}
    {%- set z = dbt.safe_cast(z_value | string, dbt.type_float()) | trim -%}
    {%- set n = dbt.safe_cast(total, dbt.type_float()) | trim -%}
    {%- set x = dbt.safe_cast(successes, dbt.type_float()) | trim -%}
    {%- set zero = dbt.safe_cast('0', dbt.type_float()) | trim -%}
    {%- set one = dbt.safe_cast('1', dbt.type_float()) | trim -%}
    {%- set decimals = decimals if decimals is not none else var('wilson_decimals', 6) -%}
    {%- set z2 = "(" ~ z ~ " * " ~ z ~ ")" -%}
    {%- set p = "(" ~ x ~ " / " ~ n ~ ")" -%}
    {%- set centre = "((" ~ p ~ " + " ~ z2 ~ " / (2 * " ~ n ~ ")) / (1 + " ~ z2 ~ " / " ~ n ~ "))" -%}
    {%- set half = "((" ~ z ~ " / (1 + " ~ z2 ~ " / " ~ n ~ ")) * sqrt(" ~ p ~ " * (1 - " ~ p ~ ") / " ~ n ~ " + " ~ z2 ~ " / (4 * " ~ n ~ " * " ~ n ~ ")))" -%}
    case
        when coalesce({{ total }}, 0) = 0 then null
        {%- if bound == 'low' %}
        when {{ successes }} = 0 then {{ zero }}
        else greatest({{ zero }}, round({{ centre }} - {{ half }}, {{ decimals }}))
        {%- else %}
        when {{ successes }} = {{ total }} then {{ one }}
        else least({{ one }}, round({{ centre }} + {{ half }}, {{ decimals }}))
        {%- endif %}
    end
{%- endmacro %}


{#- Share successes / total as a float; null when total is 0. -#}
{% macro safe_share(successes, total) -%}
    case
        when coalesce({{ total }}, 0) = 0 then null
        else {{ dbt.safe_cast(successes, dbt.type_float()) | trim }}
            / {{ dbt.safe_cast(total, dbt.type_float()) | trim }}
    end
{%- endmacro %}
