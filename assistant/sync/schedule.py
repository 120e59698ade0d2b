"""Scheduled syncs in the running app (APScheduler), every ASSISTANT_SYNC_INTERVAL_HOURS.

Without the setting nothing is scheduled; a cron line can run `python -m assistant sync`
instead (README). Run it in one process only: with several replicas, on the admin one.
"""

from __future__ import annotations

import logging
from typing import Any, Protocol

from apscheduler.schedulers.background import BackgroundScheduler
from apscheduler.triggers.interval import IntervalTrigger

from assistant.settings import Settings
from assistant.sync.state import read_sources

log = logging.getLogger(__name__)


class Assistant(Protocol):
    """What a scheduled run needs of the running assistant (assistant.chain.Assistant):
    its index, and its searcher to read the new collection once switched."""

    index: Any
    searcher: Any


def scheduled_sync(settings: Settings, assistant: Assistant) -> None:
    """One run; never raises (a failed run is in its report and the log)."""
    from assistant.sync.run import run_sync

    if not read_sources(settings):
        log.info("scheduled sync: no sources listed")
        return
    try:
        report = run_sync(settings, index=assistant.index)
        assistant.searcher.refresh()
        log.info(
            "scheduled sync: %d new, %d changed, %d failed, %d superseded",
            len(report["new"]),
            len(report["changed"]),
            len(report["failed"]),
            len(report["superseded"]),
        )
    except Exception:
        log.exception("scheduled sync failed; the index was left as it was")


def start_scheduler(settings: Settings, assistant: Assistant) -> BackgroundScheduler | None:
    if settings.sync_interval_hours <= 0:
        return None
    scheduler = BackgroundScheduler(daemon=True)
    scheduler.add_job(
        scheduled_sync,
        IntervalTrigger(hours=settings.sync_interval_hours),
        args=[settings, assistant],
        id="website-sync",
        max_instances=1,
        coalesce=True,  # a run missed while the machine slept is done once, not many times
    )
    scheduler.start()
    log.info("website sync scheduled every %g h", settings.sync_interval_hours)
    return scheduler
