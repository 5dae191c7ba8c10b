"""The trading schedule: when each recurring job fires, against the NYSE calendar.

Four kinds of job (a :class:`Job` each; the defaults are :data:`DEFAULT_JOBS`):

- ``every`` an interval **in market hours**: at each multiple of the interval after New York
  midnight that falls in ``[open, close)`` of a session (so a 5-minute scan fires at 09:30,
  09:35 ... 15:55 on a full day, and last at 12:55 on a 13:00 early close; never on a holiday);
- ``daily`` at a New York time **on each session day** (daily review at 17:00);
- ``weekly`` at a New York weekday and time, every week whatever the calendar (weekly learning
  Sunday 20:00).

:meth:`Schedule.due` lists every firing in a time interval, in time order (ties in job order);
a driver calls it with the interval since its last call, so a clock that jumps (a simulated week
run in seconds, or a process that slept) fires every missed run exactly once. Time is epoch
nanoseconds from the caller's clock, never the wall clock.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass
from zoneinfo import ZoneInfo

from optix.data.calendar import Session, session

__all__ = ["DEFAULT_JOBS", "Job", "JobRun", "JobRunner", "Schedule"]

_NY = ZoneInfo("America/New_York")
_NS = 1_000_000_000
_KINDS = ("every", "daily", "weekly")


@dataclass(frozen=True, slots=True)
class Job:
    """One recurring job.

    Attributes
    ----------
    name : str
        Unique name (the hook registered under it runs).
    kind : str
        ``'every'``, ``'daily'`` or ``'weekly'`` (module docstring).
    interval_s : int
        ``every``: seconds between runs, dividing a day.
    at : datetime.time
        ``daily`` / ``weekly``: New York time of day.
    weekday : int
        ``weekly``: Monday 0 .. Sunday 6.
    """

    name: str
    kind: str
    interval_s: int = 0
    at: dt.time = dt.time(0, 0)
    weekday: int = 0

    def __post_init__(self) -> None:
        if not self.name:
            raise ValueError("a job needs a name")
        if self.kind not in _KINDS:
            raise ValueError(f"job {self.name!r}: kind must be one of {_KINDS}, got "
                             f"{self.kind!r}")
        if self.kind == "every" and not (self.interval_s > 0 and 86_400 % self.interval_s == 0):
            raise ValueError(f"job {self.name!r}: interval_s must divide a day, got "
                             f"{self.interval_s}")
        if not 0 <= self.weekday <= 6:
            raise ValueError(f"job {self.name!r}: weekday must be 0..6, got {self.weekday}")


DEFAULT_JOBS: tuple[Job, ...] = (
    Job("trading_scan", "every", interval_s=300),
    Job("position_monitor", "every", interval_s=60),
    Job("daily_review", "daily", at=dt.time(17, 0)),
    Job("weekly_learning", "weekly", at=dt.time(20, 0), weekday=6),
)
"""Scan every 5 minutes, monitor every minute (market hours); review 17:00; learn Sunday 20:00."""


def _local_ns(day: dt.date, at: dt.time) -> int:
    return round(dt.datetime.combine(day, at, tzinfo=_NY).timestamp()) * _NS


def _session(day: dt.date) -> Session | None:
    try:
        return session(day)
    except ValueError:
        return None


class Schedule:
    """Firing times of a set of jobs (see the module docstring).

    Parameters
    ----------
    jobs : sequence of Job, optional
        Defaults to :data:`DEFAULT_JOBS`.
    """

    def __init__(self, jobs: tuple[Job, ...] | list[Job] = DEFAULT_JOBS) -> None:
        names = [j.name for j in jobs]
        if len(set(names)) != len(names):
            raise ValueError(f"job names must be unique, got {names}")
        self.jobs = tuple(jobs)

    def due(self, after_ns: int, until_ns: int) -> list[tuple[int, str]]:
        """Every ``(time_ns, job name)`` with ``after_ns < time_ns <= until_ns``, in order."""
        if until_ns <= after_ns:
            return []
        first = dt.datetime.fromtimestamp(after_ns / _NS, _NY).date() - dt.timedelta(days=1)
        last = dt.datetime.fromtimestamp(until_ns / _NS, _NY).date()
        out: list[tuple[int, int, str]] = []
        day = first
        while day <= last:
            sess = _session(day)
            midnight = _local_ns(day, dt.time(0, 0))
            for order, job in enumerate(self.jobs):
                times: list[int] = []
                if job.kind == "every" and sess is not None:
                    step = job.interval_s * _NS
                    t = midnight + -(-(sess.open_ns - midnight) // step) * step
                    times = list(range(t, sess.close_ns, step))
                elif ((job.kind == "daily" and sess is not None)
                      or (job.kind == "weekly" and day.weekday() == job.weekday)):
                    times = [_local_ns(day, job.at)]
                out += [(t, order, job.name) for t in times if after_ns < t <= until_ns]
            day += dt.timedelta(days=1)
        out.sort()
        return [(t, name) for t, _, name in out]


@dataclass(frozen=True, slots=True)
class JobRun:
    """One run of a job: when it was due, its name, and how it ended (``ok`` or the error)."""

    due_ns: int
    name: str
    outcome: str


class JobRunner:
    """Runs a schedule's jobs as time advances, through named hooks, and records each run.

    A hook is any callable taking the due time (epoch ns); a job with no registered hook runs
    as a no-op (and is recorded as run). A hook that raises is recorded with its error and
    does not stop the others.

    Parameters
    ----------
    schedule : Schedule
    start_ns : int
        Runs due after this time are run (nothing before it).
    """

    def __init__(self, schedule: Schedule, start_ns: int) -> None:
        self.schedule = schedule
        self.last_ns = start_ns
        self.hooks: dict[str, Callable[[int], object]] = {}
        self.runs: list[JobRun] = []

    def register(self, name: str, hook: Callable[[int], object]) -> None:
        """Run ``hook(due_ns)`` for job ``name`` from now on."""
        if name not in {j.name for j in self.schedule.jobs}:
            raise ValueError(f"no job named {name!r} in the schedule")
        self.hooks[name] = hook

    def advance(self, now_ns: int) -> list[JobRun]:
        """Run every job due in ``(last, now_ns]``, in time order; return their runs."""
        done: list[JobRun] = []
        for due, name in self.schedule.due(self.last_ns, now_ns):
            hook = self.hooks.get(name)
            outcome = "ok"
            if hook is not None:
                try:
                    hook(due)
                except Exception as exc:  # recorded; the schedule goes on
                    outcome = f"{type(exc).__name__}: {exc}"
            done.append(JobRun(due, name, outcome))
        self.last_ns = max(self.last_ns, now_ns)
        self.runs += done
        return done
