-- One row per normalised title x role type that occurs among analysed postings: how many
-- postings, the role type's share within the title, and the title's rank by size.
-- Titles group case-insensitively ("AI engineer" is "AI Engineer"); the spelling shown is the
-- group's most frequent one (ties: alphabetical).

with

analysed as (

    select
        coalesce(title_normalized, '(no title)') as title_spelling,
        lower(coalesce(title_normalized, '(no title)')) as title_key,
        role_type,
        role_type_name
    from {{ ref('int_postings__analysed') }}

),

spellings as (

    select
        title_key,
        title_spelling,
        row_number() over (partition by title_key order by count(*) desc, title_spelling) as spelling_rank
    from analysed
    group by title_key, title_spelling

),

postings as (

    select
        spellings.title_spelling as title_normalized,
        analysed.role_type,
        analysed.role_type_name
    from analysed
    inner join spellings
        on analysed.title_key = spellings.title_key
        and spellings.spelling_rank = 1

),

counts as (

    select
        title_normalized,
        role_type,
        role_type_name,
        count(*) as postings
    from postings
    group by title_normalized, role_type, role_type_name

),

with_title_totals as (

    select
        *,
        sum(postings) over (partition by title_normalized) as title_postings
    from counts

)

select
    title_normalized,
    role_type,
    role_type_name,
    postings,
    {{ safe_share('postings', 'title_postings') }} as share_of_title,
    title_postings,
    dense_rank() over (order by title_postings desc, title_normalized) as title_rank

from with_title_totals
