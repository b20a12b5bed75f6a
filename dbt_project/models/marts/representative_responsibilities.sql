-- Up to var('representative_examples_per_category') (8) example responsibilities per
-- category whose primary (rank-1) label is that category, for the report's "What people do"
-- lists: typical of the category, worded as plain duties, and spread over its sub-patterns.
--
--   typicality   mean, over the item's distinct words (4+ letters), of the share of the
--                category's items that contain the word: an item made of the category's
--                common vocabulary scores high, one full of names and rare words low;
--   plain duty   no first- or second-person pronoun ("you'll work with our ..." is
--                advertising, not a duty);
--   duty start   its first word is one of the var('representative_leading_words') (40)
--                most frequent first words of all responsibilities (seen at least twice):
--                duties start with verbs ("Build", "Design", "Collaborate"), fragments such
--                as "Multiple foundation models, ..." do not;
--   spread       the best item of each sub-pattern (items without one form their own
--                group) comes before the second-best of any, so the list covers the kinds
--                of work in the category instead of eight wordings of the most common one.
--
-- Texts are distinct by lower-cased, trimmed text (compared by its key, text_hash). Quality
-- tier: 0 = preferred length (representative_min_length..representative_max_length, 25..200
-- characters), plain and duty start; 1 = preferred length and plain; 2 = preferred length;
-- 3 = the rest. Within a group: tier, typicality, classifier score; across groups: tier, rank
-- in group, typicality, classifier score; ties break on posting_id, position and batch_id,
-- so the choice is deterministic.

{%- set per_category = var('representative_examples_per_category') %}
{%- set min_length = var('representative_min_length') %}
{%- set max_length = var('representative_max_length') %}
{%- set leading_words = var('representative_leading_words') %}

with

-- int_responsibilities__words carries each item's primary label and text features (computed
-- once per changed posting); an item's number is its row's rowid there, so every read of
-- the table below numbers the items alike. Not materialised: each reader scans the few
-- columns it needs, where a materialised list of every item (and one of every item with its
-- tier and typicality) held most of the memory DuckDB has for the model, and the groupings
-- below spilled to disk.
candidates as not materialized (

    select
        {{ row_number_in_table() }} as item_number,
        primary_category as category,
        coalesce(primary_subpattern, '') as subpattern_group,
        batch_id,
        posting_id,
        position,
        primary_score as label_score,
        leading_word,
        is_plain_duty,
        text_length,
        words_hash
    from {{ ref('int_responsibilities__words') }}
    where primary_category is not null

),

leading_words as (

    select leading_word
    from (
        select
            leading_word,
            count(*) as items
        from candidates
        group by leading_word
    )
    where leading_word <> '' and items >= 2
    order by items desc, leading_word
    limit {{ leading_words }}

),

category_sizes as (

    select
        category,
        count(*) as category_items
    from candidates
    group by category

),

-- Typicality depends only on an item's category and its list of distinct words (runs of 4 or
-- more letters, listed once per changed posting by int_responsibilities__words), so it is
-- computed once per (category, word list), the list's items counted: every repeated text,
-- and texts differing only in short words, punctuation or numbers, share one computation
-- (on the bench's million postings, 11.5 million items have 1.5 million lists; per item,
-- the ~150 million (item, word) rows were most of this model's time).
word_sets as (

    select
        primary_category as category,
        words_hash,
        count(*) as items,
        any_value(words) as words
    from {{ ref('int_responsibilities__words') }}
    where primary_category is not null
    group by category, words_hash

),

-- each list's words with the list's item count (streamed by each reader, not materialised)
set_words as not materialized (

    select
        category,
        words_hash,
        items,
        unnest(words) as word
    from word_sets

),

-- share of the category's items containing the word: its lists' item counts summed, over
-- the category's size (a join of the few counts, not of every word row)
word_shares as (

    select
        word_counts.category,
        word_counts.word,
        word_counts.items / category_sizes.category_items as share_of_items
    from (
        select
            category,
            word,
            sum(items) as items
        from set_words
        group by category, word
    ) as word_counts
    inner join category_sizes
        on word_counts.category = category_sizes.category

),

typicality as (

    select
        set_words.category,
        set_words.words_hash,
        round(avg(word_shares.share_of_items), 6) as typicality
    from set_words
    inner join word_shares
        on set_words.category = word_shares.category
        and set_words.word = word_shares.word
    group by set_words.category, set_words.words_hash

),

-- A text's best occurrence in its category (highest classifier score; ties on posting_id,
-- position, batch_id) and how often the text occurs there: a grouping over the ordering
-- columns only, read from the table (at a million postings, a window over the candidates
-- sorted some 12 million wide rows and took most of this model's time), on the text's
-- fixed-width key (3.1 s on the text, 1.7 s on the key).
best_occurrences as (

    select
        arg_min(
            item_number,
            {'score': -label_score, 'posting_id': posting_id, 'position': position, 'batch_id': batch_id}
        ) as item_number,
        count(*) as occurrences
    from (
        select
            {{ row_number_in_table() }} as item_number,
            primary_category as category,
            text_hash,
            primary_score as label_score,
            posting_id,
            position,
            batch_id
        from {{ ref('int_responsibilities__words') }}
        where primary_category is not null
    ) as items
    group by category, text_hash

),

scored as (

    select
        candidates.*,
        best_occurrences.occurrences,
        coalesce(typicality.typicality, 0) as typicality,
        candidates.text_length between {{ min_length }} and {{ max_length }}
            as is_preferred_length,
        candidates.leading_word in (
            select leading_word from leading_words
        ) as is_duty_start
    from candidates
    -- one item per text: its best occurrence
    inner join best_occurrences
        on candidates.item_number = best_occurrences.item_number
    left join typicality
        on candidates.category = typicality.category
        and candidates.words_hash = typicality.words_hash

),

tiered as (

    select
        *,
        case
            when is_preferred_length and is_plain_duty and is_duty_start then 0
            when is_preferred_length and is_plain_duty then 1
            when is_preferred_length then 2
            else 3
        end as quality_tier
    from scored

),

-- The first per_category items of each group in the group's order (an item past them has
-- per_category better ones of its category before it, so it cannot be an example): a
-- top-N aggregate per group instead of ranking every item; group_rank is the position.
group_leaders as (

    select
        category,
        subpattern_group,
        min_by(
            {
                'item_number': item_number,
                'label_score': label_score,
                'typicality': typicality,
                'is_plain_duty': is_plain_duty,
                'is_duty_start': is_duty_start,
                'quality_tier': quality_tier,
                'text_length': text_length,
                'is_preferred_length': is_preferred_length,
                'occurrences': occurrences,
                'batch_id': batch_id,
                'posting_id': posting_id,
                'position': position
            },
            {
                'quality_tier': quality_tier,
                'typicality': -typicality,
                'score': -label_score,
                'posting_id': posting_id,
                'position': position,
                'batch_id': batch_id
            },
            {{ per_category }}
        ) as leaders
    from tiered
    group by category, subpattern_group

),

-- the leaders with the columns they were chosen with (no second read of the tiered items)
ranked_in_group as (

    select
        category,
        subpattern_group,
        unnest(item),
        group_rank
    from (
        select
            category,
            subpattern_group,
            unnest(leaders) as item,
            generate_subscripts(leaders, 1) as group_rank
        from group_leaders
    )

),

ranked as (

    select
        *,
        row_number() over (
            partition by category
            order by
                quality_tier,
                group_rank,
                typicality desc,
                label_score desc,
                posting_id,
                position,
                batch_id
        ) as example_rank
    from ranked_in_group

),

examples as (

    select *
    from ranked
    where example_rank <= {{ per_category }}

),

categories as (

    select * from {{ ref('stg_roleprint__taxonomy_categories') }}

)

select
    examples.category,
    categories.category_name,
    examples.example_rank,
    texts.responsibility_text,
    nullif(examples.subpattern_group, '') as subpattern,
    examples.label_score,
    examples.typicality,
    examples.is_plain_duty,
    examples.is_duty_start,
    examples.quality_tier,
    examples.text_length,
    examples.is_preferred_length,
    examples.occurrences,
    examples.batch_id,
    examples.posting_id,
    examples.position

from examples

-- the text as extracted, read back for the chosen examples only
inner join {{ ref('int_responsibilities__analysed') }} as texts
    on examples.batch_id = texts.batch_id
    and examples.posting_id = texts.posting_id
    and examples.position = texts.position

left join categories
    on examples.category = categories.category
