-- Word counts over the responsibility texts of analysed postings, two measures
-- (EVALUATION.md metric 4):
--   token_count                 whole-token count: texts lower-cased, split on whitespace
--                               only (like Python's str.split(), no punctuation stripping),
--                               tokens longer than 3 characters;
--   responsibilities_containing responsibilities whose lower-cased text contains the word as
--                               a substring ('deploy' also counts 'deployment').
-- Rows: the var('word_frequency_top_n') words with the highest token_count, plus every stem
-- of var('word_frequency_stems') (int_responsibilities__frequent_words). Both counts are
-- kept per batch by incremental models, so a nightly run counts only its new batch's
-- responsibilities; here they are summed.

with

words as (

    select * from {{ ref('int_responsibilities__frequent_words') }}
    where is_reported

),

containing as (

    select
        word,
        cast(sum(responsibilities_containing) as {{ dbt.type_bigint() }})
            as responsibilities_containing
    from {{ ref('int_responsibilities__word_containment') }}
    group by word

),

final as (

    select
        words.word,
        words.token_count,
        coalesce(containing.responsibilities_containing, 0) as responsibilities_containing,
        words.is_top_token,
        words.is_stem,
        function_words.word is not null as is_function_word

    from words

    left join {{ ref('english_function_words') }} as function_words
        on words.word = function_words.word

    left join containing
        on words.word = containing.word

)

select
    word,
    token_count,
    responsibilities_containing,
    row_number() over (order by token_count desc, word) as word_rank,
    is_top_token,
    is_stem,
    is_function_word

from final
