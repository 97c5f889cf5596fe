"""The compact ranking (domain/ranking.py: RankingBuilder, Ranking) ranks exactly as the rule
reads when written as a tuple sort: score desc, xp desc, createdAt asc (undated last), id asc,
null counters 0. The oracle below is that tuple sort, as the module had it before."""

import itertools
from datetime import UTC, datetime, timedelta, timezone

from hypothesis import given
from hypothesis import strategies as st

from domain.ranking import (
    DEFAULT_CATEGORIES,
    Category,
    Participant,
    RankedEntry,
    RankingBuilder,
    rank_participants,
)

STUDENTS = DEFAULT_CATEGORIES[0]
FRACTIONAL = Category("mixed", "student", (("a", 1.5), ("b", -2)))
UNDATED = datetime.max.replace(tzinfo=UTC)


def oracle(category: Category, participants: list[Participant]) -> list[RankedEntry]:
    scored = [(category.score(p.counters), p) for p in participants]
    scored.sort(
        key=lambda sp: (-sp[0], -(sp[1].xp or 0), sp[1].created_at or UNDATED, sp[1].user_id)
    )
    return [
        RankedEntry(index, p.user_id, p.name, p.email, score, p.xp or 0, p.created_at)
        for index, (score, p) in enumerate(scored, start=1)
    ]


def compact(category: Category, participants: list[Participant]) -> list[RankedEntry]:
    builder = RankingBuilder(category)
    for participant in participants:
        builder.add(participant)
    return list(builder.ranked())


def exact(entries: list[RankedEntry]) -> list[tuple[object, ...]]:
    """Entries with the types of their numbers: 52 and 52.0 are equal but not the same value to
    store; createdAt as an instant."""
    return [
        (e.rank, e.user_id, e.name, e.email, e.score, type(e.score), e.xp, type(e.xp), e.created_at)
        for e in entries
    ]


counters = st.one_of(
    st.none(),
    st.integers(-(2**40), 2**40),
    st.integers(-(2**100), 2**100),
    st.floats(min_value=-1e300, max_value=1e300),  # sums stay finite: NaN has no order
    st.sampled_from([0, 0.0, -0.0, 1, 1.0, 2**53, 2**53 + 1, float(2**53), -(2**53) - 1]),
)
moments = st.one_of(
    st.none(),
    st.datetimes(
        min_value=datetime(1, 1, 2),
        max_value=datetime(9999, 12, 30),
        timezones=st.sampled_from([UTC, timezone(timedelta(hours=5, minutes=30))]),
    ),
    st.just(UNDATED),  # the latest moment ties with undated, as in the tuple sort
)
ids = st.text(alphabet=st.sampled_from("abc\u00e9\u4e2d\U0001f600\x00"), min_size=0, max_size=4)
people = st.builds(
    Participant,
    user_id=ids,
    name=st.one_of(st.none(), st.text(max_size=5)),
    email=st.one_of(st.none(), st.text(max_size=5)),
    created_at=moments,
    xp=st.one_of(st.none(), counters),
    counters=st.tuples(counters, counters),
)


@given(st.lists(people, max_size=40, unique_by=lambda p: p.user_id))
def test_the_compact_ranking_is_the_tuple_sort(population: list[Participant]) -> None:
    for category in (STUDENTS, FRACTIONAL):
        expected = oracle(category, population)
        assert exact(compact(category, population)) == exact(expected)
        assert exact(rank_participants(category, population)) == exact(expected)


@given(st.lists(people, min_size=1, max_size=30, unique_by=lambda p: p.user_id), st.data())
def test_slices_are_views_that_keep_absolute_ranks(
    population: list[Participant], data: st.DataObject
) -> None:
    builder = RankingBuilder(STUDENTS)
    for participant in population:
        builder.add(participant)
    ranking = builder.ranked()
    start = data.draw(st.integers(0, len(ranking)))
    stop = data.draw(st.integers(start, len(ranking)))
    view = ranking[start:stop]
    assert len(view) == stop - start
    assert list(view) == list(ranking)[start:stop]
    assert [e.rank for e in view] == list(range(start + 1, stop + 1))
    if len(view):
        assert view[-1] == ranking[stop - 1]
        assert list(view[1:]) == list(ranking)[start + 1 : stop]
    assert list(ranking[::2]) == list(ranking)[::2]


def test_ids_that_prefix_one_another_and_negative_zero_rank_as_strings_and_numbers_do() -> None:
    same = dict(name=None, email=None, created_at=None, xp=None)
    population = [
        Participant(user_id="ab", counters=(0, -0.0), **same),  # type: ignore[arg-type]
        Participant(user_id="a", counters=(-0.0, 0), **same),  # type: ignore[arg-type]
        Participant(user_id="abc", counters=(0.0, 0), **same),  # type: ignore[arg-type]
    ]
    assert [e.user_id for e in compact(STUDENTS, population)] == ["a", "ab", "abc"]


def test_an_empty_category_ranks_nobody_and_a_builder_can_be_used_again() -> None:
    builder = RankingBuilder(STUDENTS)
    assert list(builder.ranked()) == []
    builder.add(Participant("x", "X", None, None, 3, (1, 2)))
    (only,) = builder.ranked()
    assert (only.rank, only.user_id, only.score, only.xp) == (1, "x", 17, 3)
    assert len(builder.ranked()) == 0


def test_pairs_of_neighbours_are_in_order() -> None:
    base = datetime(2024, 1, 1, tzinfo=UTC)
    population = [
        Participant(f"{i:024x}", None, None, base + timedelta(days=i % 3), i % 4, (i % 5, i % 7))
        for i in range(500)
    ]
    ranked = compact(STUDENTS, population)
    for above, below in itertools.pairwise(ranked):
        assert (-above.score, -above.xp, above.created_at, above.user_id) < (
            -below.score,
            -below.xp,
            below.created_at,
            below.user_id,
        )
