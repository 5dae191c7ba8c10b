"""NYSE sessions for the data layer: trading days, open and close times, expiry dates."""

from __future__ import annotations

import datetime as dt
import warnings
from functools import lru_cache

import exchange_calendars as xcals
import numpy as np
import pandas as pd

__all__ = ["Session", "last_session", "next_sessions", "session", "standard_expiries"]

_NS = 1_000_000_000


@lru_cache(maxsize=1)
def _calendar() -> xcals.ExchangeCalendar:
    with warnings.catch_warnings():
        # exchange_calendars 4.x reads Series.values on tz-aware data, which pandas 3.1
        # deprecates; the values it reads are correct (UTC), so the warning is noise here.
        warnings.simplefilter("ignore", category=FutureWarning)
        warnings.simplefilter("ignore", category=DeprecationWarning)
        if hasattr(pd.errors, "Pandas4Warning"):
            warnings.simplefilter("ignore", category=pd.errors.Pandas4Warning)
        return xcals.get_calendar("XNYS", start="2000-01-01", end="2100-01-01")


class Session:
    """One NYSE trading session.

    Attributes
    ----------
    date : datetime.date
    open_ns, close_ns : int
        Regular-hours open and close, epoch nanoseconds (early closes honoured).
    """

    __slots__ = ("close_ns", "date", "open_ns")

    def __init__(self, date: dt.date, open_ns: int, close_ns: int) -> None:
        self.date = date
        self.open_ns = open_ns
        self.close_ns = close_ns

    @property
    def seconds(self) -> float:
        """Length of regular hours in seconds (23,400 on a full day)."""
        return (self.close_ns - self.open_ns) / _NS

    def __repr__(self) -> str:
        return f"Session({self.date.isoformat()}, {self.seconds / 3600:.1f}h)"


def session(date: dt.date) -> Session:
    """The session on ``date``.

    Raises
    ------
    ValueError
        If ``date`` is not an NYSE trading day.
    """
    cal = _calendar()
    ts = pd.Timestamp(date)
    if not cal.is_session(ts):
        raise ValueError(f"{date.isoformat()} is not an NYSE trading session")
    return Session(date, int(cal.session_open(ts).value), int(cal.session_close(ts).value))


def last_session(on_or_before: dt.date) -> dt.date:
    """The last session on or before a date."""
    ts = _calendar().date_to_session(pd.Timestamp(on_or_before), direction="previous")
    return ts.date()  # type: ignore[no-any-return]


def next_sessions(start: dt.date, count: int) -> list[dt.date]:
    """``count`` sessions starting at ``start`` (or the next session after it)."""
    cal = _calendar()
    first = cal.date_to_session(pd.Timestamp(start), direction="next")
    sessions = cal.sessions_window(first, count)
    return [s.date() for s in sessions]


def _to_session_on_or_before(days: list[dt.date]) -> list[dt.date]:
    return [last_session(d) for d in days]


def _third_friday(year: int, month: int) -> dt.date:
    first = dt.date(year, month, 1)
    offset = (4 - first.weekday()) % 7
    return first + dt.timedelta(days=offset + 14)


def standard_expiries(
    today: dt.date, *, daily: int = 0, weeklies: int = 0, monthlies: int = 3,
    quarterlies_months: int = 12, leaps: int = 0,
) -> np.ndarray:
    """Listed expiry dates from ``today`` on, as ``datetime64[D]``, sorted and unique.

    Parameters
    ----------
    today : date
        Listing date; expiries before it are never listed (today's own are: 0DTE).
    daily : int
        Expiries on each of the next ``daily`` sessions (the busiest names).
    weeklies : int
        Friday expiries of the next ``weeklies`` weeks.
    monthlies : int
        Standard monthly expiries (third Friday) of the next ``monthlies`` months.
    quarterlies_months : int
        Quarterly (March, June, September, December) third Fridays within this many months.
    leaps : int
        January third-Friday expiries of the next ``leaps`` years (LEAPS).

    An expiry that falls on an exchange holiday moves to the session before it (as Good
    Friday expiries move to Thursday).
    """
    return np.array(
        _standard_expiries(today, daily, weeklies, monthlies, quarterlies_months, leaps),
        dtype="datetime64[D]",
    )


@lru_cache(maxsize=4096)
def _standard_expiries(
    today: dt.date, daily: int, weeklies: int, monthlies: int, quarterlies_months: int,
    leaps: int,
) -> tuple[dt.date, ...]:
    days: list[dt.date] = []
    if daily:
        days += next_sessions(today, daily)
    friday = today + dt.timedelta(days=(4 - today.weekday()) % 7)
    days += [friday + dt.timedelta(weeks=i) for i in range(weeklies)]
    y, m = today.year, today.month
    for i in range(max(monthlies, quarterlies_months) + 1):
        yy, mm = y + (m - 1 + i) // 12, (m - 1 + i) % 12 + 1
        if i <= monthlies or (mm in (3, 6, 9, 12) and i <= quarterlies_months):
            days.append(_third_friday(yy, mm))
    days += [_third_friday(y + i, 1) for i in range(1, leaps + 1)]
    return tuple(sorted({d for d in _to_session_on_or_before(days) if d >= today}))
