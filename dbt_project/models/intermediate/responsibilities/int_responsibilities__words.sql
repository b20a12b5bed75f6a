-- The words of each responsibility of an analysed posting, split once per changed posting
-- and stored as lists, so that word_frequency and representative_responsibilities aggregate
-- lists on every run instead of running a regular expression over every text. With the
-- primary label and the per-text features representative_responsibilities ranks on, also
-- computed once per changed posting, so that mart reads this one table and no text.
-- Incremental by posting (macros/incremental_by_posting.sql): same rows and keys as
-- int_responsibilities__analysed.

{{
    config(
        materialized='incremental',
        incremental_strategy='replace_changed_postings',
        on_schema_change='fail'
    )
}}

with

changed as (

    {{ changed_postings() }}

),

responsibilities as (

    {{ rows_of_changed_postings(ref('int_responsibilities__analysed'), 'analysed') }}

),

lowered as (

    -- change_seq: the analysed row's, which is its posting's current number (the row was
    -- rebuilt at or after the posting's last change)
    select
        batch_id,
        posting_id,
        position,
        lower(responsibility_text) as text_lower,
        lower(trim(responsibility_text)) as text_key,
        {{ dbt.length('responsibility_text') }} as text_length,
        primary_category,
        primary_subpattern,
        primary_score,
        change_seq
    from responsibilities

),

-- the text's runs of 4 or more letters, sorted; the final select keeps each word's first
-- occurrence (a sorted list's duplicates are neighbours), which at a million postings cost
-- half the time of a list_distinct before the sort
sorted_word_runs as (

    select
        *,
        list_sort({{ word_list('text_lower') }}) as sorted_words
    from lowered

),

-- distinct runs of 4 or more letters, sorted (a stored list does not depend on how the
-- distinct was computed)
distinct_words as (

    select
        *,
        list_filter(
            sorted_words, (word, i) -> i = 1 or sorted_words[i - 1] <> word
        ) as words
    from sorted_word_runs

)

select
    batch_id,
    posting_id,
    position,
    -- whitespace tokens like Python's str.split(): punctuation kept, no empty tokens
    list_filter({{ split_whitespace('text_lower') }}, token -> token <> '') as tokens,
    words,
    -- the key of the word list: texts with the same words have the same typicality, which
    -- representative_responsibilities computes once per list
    {{ text_hash("array_to_string(words, ' ')") }} as words_hash,
    primary_category,
    primary_subpattern,
    primary_score,
    -- the key examples are distinct by (the text itself is in int_responsibilities__analysed)
    {{ text_hash('text_key') }} as text_hash,
    text_length,
    -- the text's first run of letters ('' when it starts otherwise)
    regexp_extract(text_key, '^[a-z]+') as leading_word,
    -- no first- or second-person pronoun
    not regexp_matches(text_key, '\b(you|your|yours|we|our|ours|us)\b') as is_plain_duty,
    change_seq

from distinct_words
