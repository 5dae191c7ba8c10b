"""The supervisor actor: owns the trading schedule and runs its jobs as market time advances.

The schedule logic is :class:`optix.trading.JobRunner`; this actor hosts it on the cluster under
a fixed name, so there is one schedule however many processes drive it. Time comes from the
caller (:meth:`SupervisorActor.advance` with the market clock's ``now``), never from the wall
clock here, so a simulated week runs in seconds. Later issues register the real jobs; until
then each job is a named no-op whose runs are recorded.
"""

from __future__ import annotations

from dataclasses import asdict
from typing import Any

import ray

from optix.trading import DEFAULT_JOBS, Job, JobRunner, Schedule

__all__ = ["SUPERVISOR_NAME", "SupervisorActor"]

SUPERVISOR_NAME = "optix-supervisor"


@ray.remote(num_cpus=0)
class SupervisorActor:
    """Hosts a :class:`~optix.trading.JobRunner` (see the module docstring).

    Parameters
    ----------
    start_ns : int
        Market time from which runs are due.
    jobs : sequence of Job, optional
        The schedule (default: scan every 5 min and monitor every minute in market hours,
        review at 17:00, learning Sunday 20:00 New York).
    """

    def __init__(self, start_ns: int, jobs: tuple[Job, ...] = DEFAULT_JOBS) -> None:
        self.runner = JobRunner(Schedule(jobs), start_ns)

    def advance(self, now_ns: int) -> list[dict[str, Any]]:
        """Run every job due up to ``now_ns``; return the runs."""
        return [asdict(r) for r in self.runner.advance(now_ns)]

    def runs(self, name: str | None = None) -> list[dict[str, Any]]:
        """Every run so far (of job ``name`` only, if given), oldest first."""
        return [asdict(r) for r in self.runner.runs if name is None or r.name == name]

    def status(self) -> dict[str, Any]:
        """Jobs, market time reached and run counts per job."""
        counts: dict[str, int] = {}
        for r in self.runner.runs:
            counts[r.name] = counts.get(r.name, 0) + 1
        return {"jobs": [j.name for j in self.runner.schedule.jobs],
                "market_time_ns": self.runner.last_ns, "runs": counts}
