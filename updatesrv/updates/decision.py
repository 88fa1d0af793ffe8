"""The update decision: a pure function of (query, catalog). It knows nothing of Flask,
the database or the clock — the caller passes ``now`` — so every rule is testable in a
table and every process answers the same."""

from __future__ import annotations

import datetime as dt
import hashlib
from collections.abc import Callable
from dataclasses import dataclass

from packaging.version import Version

from .catalog import Catalog, CatalogArtifact, CatalogNotice, CatalogRelease


@dataclass(frozen=True)
class UpdateQuery:
    # None: an updater that does not say which version it runs (electron-updater without
    # ?version=). Such an install is treated as current and supported, gets no notices,
    # and is never offered a release behind a stepping stone it cannot be shown to pass.
    version: Version | None
    channel: str
    platform: str | None
    now: dt.datetime
    install_id: str | None = None
    # The updater applies the rollout percentage itself (electron-updater's
    # stagingPercentage when it sends no staging id): partial rollouts are offered with
    # their percentage instead of being decided here. Pauses still apply.
    client_side_rollout: bool = False


@dataclass(frozen=True)
class InstalledStatus:
    version: Version | None
    known: bool
    yanked: bool
    supported: bool


@dataclass(frozen=True)
class Offer:
    release: CatalogRelease
    artifact: CatalogArtifact
    critical: bool


@dataclass(frozen=True)
class Decision:
    installed: InstalledStatus
    update: Offer | None
    notices: tuple[CatalogNotice, ...] = ()
    stopped: bool = False

    def fix_available(self, notice: CatalogNotice) -> bool:
        """The offered update fixes the notice (at or above its fix, outside the affected
        range): computed here so clients never compare versions and never promise an update
        they are not offered."""
        return self.update is not None and notice.fixed_by(self.update.release.version)


def eligible_artifact(release: CatalogRelease, catalog: Catalog, channels: frozenset[str],
                      platform: str | None, now: dt.datetime) -> CatalogArtifact | None:
    """The one eligibility rule: published and visible now, not yanked, on the install's
    channel or a more stable one, not below the minimum supported version, and with a file
    for the install's platform (or for 'any'). Returns that file, or None."""
    if release.yanked or release.channel not in channels or not release.visible_at(now):
        return None
    if catalog.minimum_supported is not None and release.version < catalog.minimum_supported:
        return None
    return release.artifact_for(platform)


def installed_status(query: UpdateQuery, catalog: Catalog) -> InstalledStatus:
    if query.version is None:
        return InstalledStatus(version=None, known=False, yanked=False, supported=True)
    release = catalog.release(query.version)
    known = release is not None and release.visible_at(query.now)
    return InstalledStatus(
        version=query.version,
        known=known,
        yanked=known and release is not None and release.yanked,
        supported=catalog.minimum_supported is None
        or query.version >= catalog.minimum_supported)


def rollout_bucket(install_id: str, product: str, version: str) -> int:
    """0 to 9999, the same in every process and on every run (never Python's salted hash()),
    and different per release, so each release samples a different first group."""
    digest = hashlib.sha256(f"{install_id}:{product}:{version}".encode()).hexdigest()
    return int(digest[:8], 16) % 10000


def in_rollout(install_id: str | None, product: str, release: CatalogRelease) -> bool:
    if release.rollout_percent >= 100:
        return True
    if not install_id or release.rollout_percent <= 0:
        return False  # installs without an id only get fully rolled-out releases
    return rollout_bucket(install_id, product, release.version_text) < release.rollout_percent * 100


# A compatible feed's "can I express this release's file?" (feeds/servable.py).
Servable = Callable[[CatalogRelease, CatalogArtifact], bool]


def decide(query: UpdateQuery, catalog: Catalog, servable: Servable | None = None) -> Decision:
    """The update for this install. ``servable``: a feed decides over the releases it can
    express, so one it cannot (a post-release in a SemVer feed, a file without the hash the
    updater checks) is skipped and the release before it is still offered."""
    channels = catalog.channels_up_to(query.channel)
    installed = installed_status(query, catalog)
    version = query.version
    notices = (() if version is None
               else catalog.notices_for(version, query.channel, query.platform))
    if query.channel in catalog.stopped_channels:
        # Emergency stop: nothing is offered, not even to yanked or critical cases;
        # notices still reach the install.
        return Decision(installed=installed, update=None, notices=notices, stopped=True)
    # Safeguard holds: a matching, unfixed notice keeps this install below its release.
    holds = [n.hold_release for n in notices if n.hold_release is not None
             and n.status != "fixed"]
    hold_cap = min(holds) if holds else None
    # Notices whose fix is offered as critical: every critical one, and those the vendor
    # marked "offer the fix as critical".
    critical_notices = [n for n in notices
                        if (n.severity == "critical" or n.fix_critical) and n.fixed_in]
    # Who may skip a rollout percentage (never a pause, stop, hold or stepping stone).
    must_update = installed.yanked or not installed.supported
    # A yanked install is offered the best release even if that is a downgrade.
    must_leave = installed.yanked
    offer_index: int | None = None
    artifact: CatalogArtifact | None = None
    # Newest first, so the common case stops after a release or two whatever the catalog size.
    for index, release in enumerate(catalog.releases):
        if not must_leave and version is not None and release.version <= version:
            break
        if release.paused or (hold_cap is not None and release.version >= hold_cap):
            continue
        if release.min_upgrade_from is not None and (
                version is None or version < release.min_upgrade_from):
            continue  # stepping stone: go to an earlier release first
        candidate = eligible_artifact(release, catalog, channels, query.platform, query.now)
        if candidate is None or (servable is not None and not servable(release, candidate)):
            continue
        bypass = (release.critical or must_update
                  or any(n.fixed_by(release.version) for n in critical_notices))
        if not bypass and not query.client_side_rollout and not in_rollout(
                query.install_id, catalog.slug, release):
            continue
        offer_index, artifact = index, candidate
        break
    if offer_index is None or artifact is None:
        return Decision(installed=installed, update=None, notices=notices)

    offered = catalog.releases[offer_index]
    critical = installed.yanked or not installed.supported or any(
        n.fixed_by(offered.version) for n in critical_notices)
    if not critical:
        # Any eligible release between the installed one and the offer that is critical
        # makes the jump critical: skipping it must not hide it.
        for release in catalog.releases[offer_index:]:
            if version is not None and release.version <= version:
                break
            if release.critical and eligible_artifact(release, catalog, channels,
                                                      query.platform, query.now):
                critical = True
                break
    return Decision(installed=installed,
                    update=Offer(release=offered, artifact=artifact, critical=critical),
                    notices=notices)


def listing(query: UpdateQuery, catalog: Catalog) -> tuple[Offer, ...]:
    """Every release an install of unknown version on this channel and platform may be
    offered, newest first, for feeds that hand the updater a list to choose from
    (Sparkle's appcast). The same eligibility, pause, emergency stop and rollout rules as
    decide(); an install without an id only sees fully rolled-out releases. Stepping
    stones and criticality that depend on the installed version travel as data
    (release.min_upgrade_from, catalog.minimum_supported) for the format to express."""
    if query.channel in catalog.stopped_channels:
        return ()
    channels = catalog.channels_up_to(query.channel)
    offers = []
    for release in catalog.releases:
        if release.paused:
            continue
        artifact = eligible_artifact(release, catalog, channels, query.platform, query.now)
        if artifact is None:
            continue
        if not release.critical and not in_rollout(query.install_id, catalog.slug, release):
            continue
        offers.append(Offer(release=release, artifact=artifact, critical=release.critical))
    return tuple(offers)
