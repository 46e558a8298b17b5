"""Long work as generators of events, run in-process (CLI) or in a child process (GUI).

A job function has the signature ``run(args: dict, cancel: Cancel) -> Iterator[Event]``.
It yields events, checks `cancel` between units of work, writes its outputs
atomically and journals finished units so that a re-run after a crash resumes.
"""

from ilabdesk.jobs.events import Cancel, Cancelled, Event, ProgressTracker

__all__ = ["Cancel", "Cancelled", "Event", "ProgressTracker"]
