from __future__ import annotations

import logging

from updatesrv.scheduling.runner import quiet_library_logs, report, run_once


def test_info_only_when_the_scheduler_did_something(app, caplog):
    caplog.set_level(logging.DEBUG, logger="updatesrv.scheduling.runner")
    report("tick", run_once(app, housekeeping=False))  # an empty database: nothing due
    report("housekeeping", {"ramp_steps": 0, "staging_removed": 0})
    assert [r.levelno for r in caplog.records] == [logging.DEBUG, logging.DEBUG]
    caplog.clear()
    report("tick", {"ramp_steps": 2, "mails_sent": 0})
    [record] = caplog.records
    assert record.levelno == logging.INFO and record.getMessage() == "tick: ramp_steps=2"
    quiet_library_logs()
    assert not logging.getLogger("apscheduler.executors.default").isEnabledFor(logging.INFO)
