{#
    Frequency band of a share of roles, thresholds from the dbt vars band_very_common,
    band_common and band_uncommon (defaults 0.5 / 0.2 / 0.05). Lower bounds are inclusive:
    a share of exactly 0.5 is very_common. Null share -> null band.
#}
{% macro frequency_band(share) -%}
    case
        when {{ share }} is null then null
        when {{ share }} >= {{ var('band_very_common') }} then 'very_common'
        when {{ share }} >= {{ var('band_common') }} then 'common'
        when {{ share }} >= {{ var('band_uncommon') }} then 'uncommon'
        else 'rare'
    end
{%- endmacro %}


{#- Display order of a band: 1 = very_common ... 4 = rare. -#}
{% macro frequency_band_order(band) -%}
    case {{ band }}
        when 'very_common' then 1
        when 'common' then 2
        when 'uncommon' then 3
        when 'rare' then 4
    end
{%- endmacro %}
