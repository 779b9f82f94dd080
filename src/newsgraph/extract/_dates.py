"""Resolve date expressions against a base date, keeping the precision the text gives.

``resolve("last June", base=date(2023, 2, 4))`` -> ``"2022-06"``. The base is the article's
publication date (or, failing that, its photo caption's date).

Why not ``dateparser`` alone: with the publication date as ``RELATIVE_BASE`` it reads "on Friday"
right but "last June" wrong, ``PREFER_DATES_FROM='past'`` breaks same-day weekdays, and it loses
precision (a month becomes a day). The forms newswire uses are few and regular, so they are read
here; ``dateparser`` stays the fallback for anything else that spaCy tagged as a DATE.

Conventions (those of a wire-service reader):
- a bare weekday ("on Friday", "Sunday night") is the latest such day on or before the base; in a
  sentence about the future ("will", "due to", "next") it is the next one after the base;
- "last <weekday>" is strictly before the base; "last <month>" is the latest such month strictly
  before the base month; a bare month ("in November") is the latest such month on or before it;
- "N days/weeks ago" gives a day, "N months ago" a month, "N years ago" a year.
"""
from __future__ import annotations

import re
from datetime import date, timedelta
from functools import lru_cache

WEEKDAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
MONTHS = ("january", "february", "march", "april", "may", "june", "july", "august", "september",
          "october", "november", "december")
_MONTH_ABBR = {m[:3]: i for i, m in enumerate(MONTHS, start=1)} | {"sept": 9}
NUMBER_WORDS = {
    "zero": 0, "no": 0, "a": 1, "an": 1, "one": 1, "two": 2, "three": 3, "four": 4, "five": 5,
    "six": 6, "seven": 7, "eight": 8, "nine": 9, "ten": 10, "eleven": 11, "twelve": 12,
    "thirteen": 13, "fourteen": 14, "fifteen": 15, "sixteen": 16, "seventeen": 17, "eighteen": 18,
    "nineteen": 19, "twenty": 20, "thirty": 30, "forty": 40, "fifty": 50, "sixty": 60,
    "seventy": 70, "eighty": 80, "ninety": 90, "hundred": 100, "dozen": 12, "dozens": 24,
}


def _month_num(word: str) -> int | None:
    w = word.lower().rstrip(".")
    if w in MONTHS:
        return MONTHS.index(w) + 1
    return _MONTH_ABBR.get(w)


def words_to_int(text: str) -> int | None:
    """ "22" -> 22, "forty-three" -> 43, "a hundred" -> 100, "a dozen" -> 12, "1,200" -> 1200; else None."""
    t = text.strip().lower().replace(",", "")
    if re.fullmatch(r"\d+", t):
        return int(t)
    total, seen = 0, False
    for part in re.split(r"[\s-]+", t):
        if part == "and":
            continue
        if part not in NUMBER_WORDS:
            return None
        n = NUMBER_WORDS[part]
        seen = True
        if n == 100 or part == "dozen":
            total = (total or 1) * n  # "a hundred", "a dozen", "two dozen": multipliers
        else:
            total += n
    return total if seen else None


def _shift_month(y: int, m: int, delta: int) -> tuple[int, int]:
    k = y * 12 + (m - 1) + delta
    return k // 12, k % 12 + 1


def _weekday_on_or_before(base: date, wd: int, strict: bool = False) -> date:
    back = (base.weekday() - wd) % 7
    if strict and back == 0:
        back = 7
    return base - timedelta(days=back)


def _weekday_after(base: date, wd: int) -> date:
    ahead = (wd - base.weekday()) % 7 or 7
    return base + timedelta(days=ahead)


_ABS_MDY = re.compile(r"\b([A-Z][a-z]{2,8})\.?\s+(\d{1,2})(?:st|nd|rd|th)?(?:,?\s+(\d{4}))?\b")
_ABS_DMY = re.compile(r"\b(\d{1,2})(?:st|nd|rd|th)?\s+([A-Z][a-z]{2,8})\.?(?:,?\s+(\d{4}))?\b")
_MONTH_YEAR = re.compile(r"\b([A-Z][a-z]{2,8})\.?,?\s+(\d{4})\b")
_YEAR = re.compile(r"\b(1[89]\d\d|20\d\d)\b")


@lru_cache(maxsize=4096)
def resolve(text: str, base: date | None, future: bool = False) -> str | None:
    """The ISO date (``YYYY``, ``YYYY-MM`` or ``YYYY-MM-DD``) that ``text`` names, or None.

    Args:
        text: a date expression as it stands in the sentence ("last June", "on Friday").
        base: the date the article speaks from; relative expressions need it.
        future: the sentence speaks of the future (a bare weekday then lies after the base).
    RETURNS: an ISO string as precise as the text, or None when it names no resolvable date.
    """
    t = " ".join(text.replace("\u2019", "'").split())
    t = re.sub(r"'s$", "", t)
    low = t.lower()
    # absolute forms first: "February 3, 2023", "3 February 2023", "October 17", "June 2022"
    for rx, mi, di in ((_ABS_MDY, 1, 2), (_ABS_DMY, 2, 1)):
        m = rx.search(t)
        if m and _month_num(m.group(mi)):
            month, day = _month_num(m.group(mi)) or 1, int(m.group(di))
            year = int(m.group(3)) if m.group(3) else None
            if year is None:
                if base is None:
                    return None
                year = base.year
                try:
                    if date(year, month, day) > base + timedelta(days=(180 if future else 7)):
                        year -= 1
                except ValueError:
                    return None
            try:
                return date(year, month, day).isoformat()
            except ValueError:
                return None
    m = _MONTH_YEAR.search(t)
    if m and _month_num(m.group(1)):
        return f"{int(m.group(2)):04d}-{_month_num(m.group(1)):02d}"
    words = re.findall(r"[a-z]+|\d+", low)
    # weekdays
    for i, w in enumerate(words):
        if w in WEEKDAYS:
            if base is None:
                return None
            wd = WEEKDAYS.index(w)
            prev = words[i - 1] if i else ""
            if prev == "last":
                return _weekday_on_or_before(base, wd, strict=True).isoformat()
            if prev in ("next", "coming") or (future and prev != "this" and wd != base.weekday()):
                return _weekday_after(base, wd).isoformat()
            return _weekday_on_or_before(base, wd).isoformat()
    if base is not None:
        if re.search(r"\b(today|tonight|this morning|this afternoon|this evening|earlier today|later today)\b", low):
            return base.isoformat()
        if re.search(r"\byesterday\b|\blast night\b", low):
            return (base - timedelta(days=1)).isoformat()
        if re.search(r"\btomorrow\b", low):
            return (base + timedelta(days=1)).isoformat()
        m = re.search(r"\b(last|this|next|previous|past)\s+(week|month|year)\b", low) or re.search(
            r"\b(earlier|later) this (week|month|year)\b", low)
        if m:
            rel, unit = m.group(1), m.group(2)
            step = {"last": -1, "previous": -1, "past": -1, "next": 1}.get(rel, 0)
            if unit == "year":
                return f"{base.year + step:04d}"
            if unit == "month":
                y, mo = _shift_month(base.year, base.month, step)
                return f"{y:04d}-{mo:02d}"
            return None  # a week is too vague for a day
        m = re.fullmatch(r"(a|an|one|two|three|four|five|six|seven|eight|nine|ten|\d+) (day|week)s? (after|before)", low)
        if m:  # "came a week after X hosted Y": X is the article's day, Y a week earlier
            n = words_to_int(m.group(1)) or 0
            days = n * (7 if m.group(2) == "week" else 1)
            return (base - timedelta(days=days) if m.group(3) == "after" else base + timedelta(days=days)).isoformat()
        m = re.search(r"\b(a|an|one|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve|\d+)\s+"
                      r"(day|week|month|year)s?\s+(ago|earlier|before)\b", low)
        if m:
            n = words_to_int(m.group(1)) or 0
            unit = m.group(2)
            if unit == "day":
                return (base - timedelta(days=n)).isoformat()
            if unit == "week":
                return (base - timedelta(days=7 * n)).isoformat()
            if unit == "month":
                y, mo = _shift_month(base.year, base.month, -n)
                return f"{y:04d}-{mo:02d}"
            return f"{base.year - n:04d}"
        # months without a day: "last June", "in November", "this March"
        for i, w in enumerate(words):
            found_month = _month_num(w) if w in MONTHS or w in _MONTH_ABBR else None
            if found_month and not (w == "may" and t.split()[0].islower()):
                month = found_month
                prev = words[i - 1] if i else ""
                year = base.year
                if prev in ("last", "previous", "past"):
                    if month >= base.month:
                        year -= 1
                elif prev == "next" or (future and prev != "this"):
                    if month <= base.month:
                        year += 1
                elif month > base.month:
                    year -= 1
                return f"{year:04d}-{month:02d}"
    m = _YEAR.search(t)
    if m and re.fullmatch(r"(in |since |by |the |of |early |late |mid-?)?" + m.group(1) + r"s?", low.strip()):
        return m.group(1)
    return None


def is_future_context(sentence_lower: str) -> bool:
    """Whether a sentence speaks of the future ("will", "is due to", "is expected")."""
    return bool(re.search(r"\b(will|would|'ll|shall|due to|is due|are due|was due|expected to|is expected|"
                          r"are expected|was expected|scheduled|plans? to|planned|set to|to be held|next)\b",
                          sentence_lower))
