{#
    Incremental models keyed by batch: aggregates over a batch's responsibilities (token
    counts, word containment) that the marts sum over batches. A nightly run adds a batch and
    seldom touches the postings of older ones, so such a model recounts the batches with a
    changed posting (meta.posting_changes, as for the models keyed by posting, see
    macros/incremental_by_posting.sql) instead of every responsibility in the warehouse.

    Each row carries its batch's change number: the highest of the batch's postings. It is
    the same whether the batch was counted on a full build or an incremental one, so the
    model's highest number is the watermark of `posting_change_watermark`.
#}

{#- (batch_id, change_seq) of the batches this build recounts: those with a posting changed
    since the model's watermark (on a full build, every batch), with their change number. -#}
{% macro changed_batches() -%}
    select batch_id, max(change_seq) as change_seq
    from {{ ref('stg_roleprint__posting_changes') }}
    where batch_id in (
        select batch_id
        from {{ ref('stg_roleprint__posting_changes') }}
        where change_seq > {{ roleprint.posting_change_watermark() }}
    )
    group by batch_id
{%- endmacro %}


{#- Custom incremental strategy (incremental_strategy='replace_changed_batches'): replace
    every row of the changed batches (a batch that no longer has any loses its old rows),
    then insert the rows the model selected. The model may select rows of unchanged batches
    too (rows it had not computed before); it must not select rows it already holds for them. -#}
{% macro get_incremental_replace_changed_batches_sql(arg_dict) -%}
    {%- set target = arg_dict['target_relation'] -%}
    {%- set columns = get_quoted_csv(arg_dict['dest_columns'] | map(attribute='name')) -%}
    delete from {{ target }}
    where batch_id in (select batch_id from ({{ roleprint.changed_batches() }}) as changed);

    insert into {{ target }} ({{ columns }})
    select {{ columns }}
    from {{ arg_dict['temp_relation'] }}
{%- endmacro %}
