"""Failure reports from the field: installs say when a start, an update or the app failed;
the server groups them, raises the alarm and pauses the rollout that ships the failing
version (see docs/vendor/failure-reports.md)."""
