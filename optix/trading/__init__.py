"""Trading: the schedule now; strategies, risk, execution and learning in later issues."""

from optix.trading.schedule import DEFAULT_JOBS, Job, JobRun, JobRunner, Schedule

__all__ = ["DEFAULT_JOBS", "Job", "JobRun", "JobRunner", "Schedule"]
