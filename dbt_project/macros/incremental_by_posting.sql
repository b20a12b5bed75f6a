{#
    Incremental models keyed by posting (batch_id, posting_id).

    meta.posting_changes gives every posting the number of the last write that changed its
    derived rows (a stage's output, a duplicate flag, a removal). Each row of an incremental
    model carries its posting's number (change_seq). An incremental run rebuilds exactly the
    postings numbered above the highest number the model holds: the strategy
    `replace_changed_postings` deletes all their rows, then inserts the rows the model selects
    for them, so a posting that now has no rows (replaced, no longer analysed, no
    responsibilities left) loses its old ones. A full refresh builds every posting.

    Both steps compute the changed set from the same state (the model's table is untouched
    until the delete), and the Python stages never write while dbt runs (one writer).
#}

{#- The highest change number the model was built from; -1 (everything) on a full build or
    when the existing table has no change_seq column. -#}
{% macro posting_change_watermark() -%}
    {#- (a unit test has no relation to look at: it builds from its given rows) -#}
    {%- set existing = load_relation(this) if this is not none and is_incremental() else none -%}
    {%- set columns = adapter.get_columns_in_relation(existing) if existing is not none else [] -%}
    {%- if 'change_seq' in (columns | map(attribute='name') | map('lower') | list) -%}
        (select coalesce(max(change_seq), -1) from {{ this }})
    {%- else -%}
        -1
    {%- endif -%}
{%- endmacro %}


{#- (batch_id, posting_id, change_seq) of the postings this build covers: those changed since
    the model's watermark (on a full build, every posting). -#}
{% macro changed_postings() -%}
    select batch_id, posting_id, change_seq
    from {{ ref('stg_roleprint__posting_changes') }}
    where change_seq > {{ roleprint.posting_change_watermark() }}
{%- endmacro %}


{#- Custom incremental strategy (incremental_strategy='replace_changed_postings'): replace
    every row of the changed postings, including postings that no longer have any. -#}
{% macro get_incremental_replace_changed_postings_sql(arg_dict) -%}
    {%- set target = arg_dict['target_relation'] -%}
    {%- set columns = get_quoted_csv(arg_dict['dest_columns'] | map(attribute='name')) -%}
    delete from {{ target }} as existing
    using ({{ roleprint.changed_postings() }}) as changed
    where existing.batch_id = changed.batch_id
      and existing.posting_id = changed.posting_id;

    insert into {{ target }} ({{ columns }})
    select {{ columns }}
    from {{ arg_dict['temp_relation'] }}
{%- endmacro %}


{#- Predicate: the row's posting (`relation_alias`.batch_id, .posting_id) is one this build's
    tests check (meta.postings_to_test: changed since the last successful build, filled by
    the dbt asset). The YAML tests on the large posting-keyed tables use the same predicate
    as their `where` config. -#}
{% macro in_postings_to_test(relation_alias) -%}
    ({{ relation_alias }}.batch_id, {{ relation_alias }}.posting_id) in (
        select batch_id, posting_id from meta.postings_to_test
    )
{%- endmacro %}


{#- The rows of `relation` that belong to the postings this build covers, with their
    posting's change_seq when `with_change_seq`. Reads the calling model's `changed` CTE
    (`changed as ({{ changed_postings() }})`); `alias` names `relation` for a `where` the
    caller appends. -#}
{% macro rows_of_changed_postings(relation, alias, with_change_seq=false) -%}
    select
        {{ alias }}.*{% if with_change_seq %},
        changed.change_seq{% endif %}
    from {{ relation }} as {{ alias }}
    inner join changed
        on {{ alias }}.batch_id = changed.batch_id
        and {{ alias }}.posting_id = changed.posting_id
{%- endmacro %}
