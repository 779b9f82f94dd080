"""Date expressions resolve against the article's base date, keeping the text's precision."""
from __future__ import annotations

from datetime import date

import pytest

from newsgraph.extract._dates import resolve, words_to_int

FRIDAY = date(2024, 3, 8)  # a Friday


@pytest.mark.parametrize("text, expected", [
    ("on Friday", "2024-03-08"),          # the same weekday as the base is the base itself
    ("Thursday", "2024-03-07"),
    ("Sunday night's", "2024-03-03"),
    ("last Friday", "2024-03-01"),        # "last <weekday>" is strictly before
    ("last June", "2023-06"),             # a month without a day keeps month precision
    ("last March", "2023-03"),
    ("in February", "2024-02"),
    ("in November", "2023-11"),           # a bare month later in the year lies in the year before
    ("six months ago", "2023-09"),
    ("three days ago", "2024-03-05"),
    ("last year", "2023"),
    ("earlier this month", "2024-03"),
    ("yesterday", "2024-03-07"),
    ("next Wednesday", "2024-03-13"),
    ("October 7", "2023-10-07"),          # a day-month later than the base is last year's
    ("February 29", "2024-02-29"),
    ("May 16, 2017", "2017-05-16"),
    ("4 February 2025", "2025-02-04"),
    ("in 1979", "1979"),
    ("a week after", "2024-03-01"),       # "came a week after X hosted Y": a week before the base
])
def test_resolves_against_the_base(text: str, expected: str) -> None:
    assert resolve(text, FRIDAY) == expected


def test_future_sentences_put_weekdays_after_the_base() -> None:
    assert resolve("on Tuesday", FRIDAY, future=True) == "2024-03-12"
    assert resolve("on Tuesday", FRIDAY, future=False) == "2024-03-05"


def test_relative_expressions_need_a_base() -> None:
    assert resolve("on Friday", None) is None
    assert resolve("March 3, 2024", None) == "2024-03-03"


@pytest.mark.parametrize("text", ["22", "20-year", "a week", "the first"])
def test_numbers_and_durations_are_not_dates(text: str) -> None:
    assert resolve(text, FRIDAY) is None


@pytest.mark.parametrize("text, n", [("22", 22), ("fifteen", 15), ("forty-three", 43), ("1,200", 1200),
                                     ("a hundred", 100), ("twenty one", 21), ("a dozen", 12), ("two dozen", 24)])
def test_number_words(text: str, n: int) -> None:
    assert words_to_int(text) == n
