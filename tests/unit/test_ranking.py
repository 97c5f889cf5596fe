import itertools
import random
from datetime import UTC, datetime, timedelta

from hypothesis import given
from hypothesis import strategies as st

from domain.ranking import DEFAULT_CATEGORIES, Participant, rank_participants

STUDENTS, TEACHERS = DEFAULT_CATEGORIES


def participant(
    uid: int,
    tests: float | None = 0,
    correct: float | None = 0,
    xp: float | None = 0,
    created: datetime | None = datetime(2024, 1, 1, tzinfo=UTC),
) -> Participant:
    return Participant(f"{uid:024x}", f"u{uid}", None, created, xp, (tests, correct))


def test_student_score_weights_tests_fifteen_times_answers() -> None:
    assert STUDENTS.score((3, 7)) == 15 * 3 + 7
    assert TEACHERS.score((42,)) == 42


def test_null_and_missing_counters_count_as_zero_and_are_still_ranked() -> None:
    ranked = rank_participants(STUDENTS, [participant(1, None, None, None), participant(2, 1, 0)])
    assert [(e.user_id[-1], e.rank, e.score) for e in ranked] == [("2", 1, 15), ("1", 2, 0)]


def test_ties_break_on_xp_then_seniority_then_id() -> None:
    early, late = datetime(2023, 1, 1, tzinfo=UTC), datetime(2024, 1, 1, tzinfo=UTC)
    ranked = rank_participants(
        STUDENTS,
        [
            participant(5, 1, 0, xp=10, created=late),
            participant(4, 1, 0, xp=10, created=late),
            participant(3, 1, 0, xp=10, created=early),
            participant(2, 1, 0, xp=20, created=late),
            participant(1, 1, 0, xp=10, created=None),  # undated loses the seniority tie
        ],
    )
    assert [int(e.user_id, 16) for e in ranked] == [2, 3, 4, 5, 1]
    assert [e.rank for e in ranked] == [1, 2, 3, 4, 5]


def test_an_empty_category_ranks_nobody() -> None:
    assert rank_participants(TEACHERS, []) == []


people = st.builds(
    lambda uid, t, c, xp, days: participant(
        uid,
        t,
        c,
        xp,
        None if days is None else datetime(2024, 1, 1, tzinfo=UTC) + timedelta(days=days),
    ),
    st.integers(0, 10_000),
    st.one_of(st.none(), st.integers(0, 5)),
    st.one_of(st.none(), st.integers(0, 5)),
    st.one_of(st.none(), st.sampled_from([0, 10, 20])),
    st.one_of(st.none(), st.integers(0, 3)),
)


@given(st.lists(people, max_size=60, unique_by=lambda p: p.user_id), st.randoms())
def test_ranking_is_a_total_order_independent_of_input_order(
    population: list[Participant], rnd: random.Random
) -> None:
    ranked = rank_participants(STUDENTS, population)
    shuffled = list(population)
    rnd.shuffle(shuffled)
    assert rank_participants(STUDENTS, shuffled) == ranked
    assert [e.rank for e in ranked] == list(range(1, len(population) + 1))
    assert sorted(e.user_id for e in ranked) == sorted(p.user_id for p in population)
    for above, below in itertools.pairwise(ranked):
        assert above.score >= below.score
        if above.score == below.score:
            assert above.xp >= below.xp
