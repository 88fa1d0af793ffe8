"""An immutable, per-product snapshot of everything the update decision needs, cached in
each web process and re-validated per request against ``products.catalog_revision``
(one indexed read) — Balrog's "cache big objects long, re-validate a cheap counter"."""

from __future__ import annotations

import bisect
import datetime as dt
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field

import sqlalchemy as sa
from packaging.specifiers import SpecifierSet
from packaging.version import Version
from sqlalchemy.orm import Session, aliased, selectinload

from ..deltas.models import Delta
from ..i18n.content import best_locale
from ..notices.models import SEVERITIES, Notice
from ..products.aliases import reported_platform, updater_platform
from ..products.models import Product
from ..products.platforms import BUILTIN_NAMES, product_platforms
from ..releases.models import Artifact, Release
from ..rollouts.models import EmergencyStop
from ..trust.statements import SignedHeaders
from ..versions import to_semver, version_key
from . import rules
from .rules import ANY_PLATFORM

KIND_PREFERENCE = ("full", "installer", "delta")


@dataclass(frozen=True, slots=True)
class CatalogArtifact:
    platform: str
    # Absolute for external files; a path below the server's base URL for uploads.
    url: str
    external: bool
    size: int
    sha256: str
    signature: str | None
    manifest_signature: str | None = None
    # What the compatible feeds add (see updatesrv/feeds): hex digests, the file's kind,
    # the vendor's minisign signature (base64 of the .minisig text) and download name.
    sha512: str | None = None
    sha1: str | None = None
    kind: str = "full"
    minisign_signature: str | None = None
    filename: str | None = None
    # The size of the uploaded ``{filename}.blockmap`` (electron-updater's blockMapSize).
    blockmap_size: int | None = None


@dataclass(frozen=True, slots=True)
class CatalogPatch:
    from_version: str
    url: str
    size: int
    sha256: str
    from_sha256: str
    algorithm: str


@dataclass(frozen=True, slots=True)
class CatalogRelease:
    id: int
    version: Version
    version_text: str
    channel: str
    critical: bool
    yanked: bool
    notes: str
    published_at: dt.datetime
    publish_at: dt.datetime | None
    artifacts: Mapping[str, CatalogArtifact]
    rollout_percent: int = 100
    paused: bool = False
    min_upgrade_from: Version | None = None
    # Delta packages (Velopack) per platform, from the previous release to this one.
    deltas: Mapping[str, CatalogArtifact] = field(default_factory=dict)
    # The SemVer spelling for updaters that need one; None leaves it out of those feeds.
    semver: str | None = None
    # The notes in the product's other locales: {"hu": {"notes": ...}}.
    translations: Mapping[str, Mapping[str, str]] = field(default_factory=dict, compare=False,
                                                          hash=False)
    # Binary deltas the server built (updatesrv/deltas), by (platform, from version_key).
    patches: Mapping[tuple[str, str], CatalogPatch] = field(default_factory=dict)

    def visible_at(self, now: dt.datetime) -> bool:
        return rules.release_public(False, self.published_at, self.publish_at, now)

    def artifact_for(self, platform: str | None) -> CatalogArtifact | None:
        if platform is not None and platform in self.artifacts:
            return self.artifacts[platform]
        return self.artifacts.get(ANY_PLATFORM)


@dataclass(frozen=True, slots=True)
class CatalogNotice:
    public_id: str
    revision: int
    title: str
    summary: str
    severity: str
    status: str
    specifier: SpecifierSet
    platforms: tuple[str, ...]
    channels: tuple[str, ...]
    workaround: str
    fixed_in: Version | None
    fixed_in_text: str | None
    updated_at: dt.datetime
    hold_release: Version | None = None
    # Offer the fixing release to affected installs as critical (always for critical ones).
    fix_critical: bool = False
    # The text in the product's other locales: {"hu": {"title": ..., ...}}.
    translations: Mapping[str, Mapping[str, str]] = field(default_factory=dict, compare=False,
                                                          hash=False)

    def fixed_by(self, version: Version) -> bool:
        """Whether moving to ``version`` leaves this issue behind: at or above the fix and
        outside the affected range."""
        return rules.fixed_by(self.specifier, self.fixed_in, version)

    def applies_to(self, version: Version, channel: str, platform: str | None) -> bool:
        return rules.notice_applies(self.specifier, self.channels, self.platforms, version,
                                    channel, platform)


MEMO_LIMIT = 4096


@dataclass(frozen=True, slots=True)
class CachedAnswer:
    payload: bytes
    etag: str
    signed: SignedHeaders | None = None


@dataclass(frozen=True)
class Catalog:
    product_id: int
    slug: str
    name: str
    revision: int
    channels: tuple[str, ...]
    minimum_supported: Version | None
    # Published releases (drafts never enter), newest version first; scheduled ones are
    # included and filtered by time when a request is answered.
    releases: tuple[CatalogRelease, ...]
    by_key: Mapping[str, CatalogRelease] = field(repr=False)
    support_url: str | None = None
    support_email: str | None = None
    # Channels under an emergency stop: their installs are offered nothing.
    stopped_channels: frozenset[str] = frozenset()
    # Non-withdrawn notices in delivery order: severity, newest update, id.
    notices: tuple[CatalogNotice, ...] = ()
    # Compatible feed formats the vendor switched on (updatesrv.feeds.FORMATS).
    feed_formats: frozenset[str] = frozenset()
    # The language of the vendor's own text, and the other locales it is translated into.
    default_locale: str = "en"
    offered_locales: tuple[str, ...] = ()
    # The vendor collects failure reports (POST .../reports answers 404 while not).
    failure_reports: bool = False
    # The product row's edit counter (its ETag's first part; see versioning.py).
    product_row_version: int = 1
    # The product's own platforms (declared, then used by files) and every id it accepts
    # (those plus the built-in table): installs reporting another id are refused.
    own_platforms: tuple[str, ...] = ()
    registry: frozenset[str] = frozenset()
    # Notice selection depends only on (version, channel, platform) and installs share a
    # few versions, so it is computed once per catalog and key.
    _notice_memo: dict[tuple[str, str, str | None], tuple[CatalogNotice, ...]] = field(
        default_factory=dict, repr=False, compare=False, init=False)
    # Serialised form of each notice per base URL and locale, built once (response.py).
    body_memo: dict[tuple[str, str, str], dict[str, object]] = field(
        default_factory=dict, repr=False, compare=False, init=False)
    # Whole check answers (bytes, ETag, signed statement) by everything they depend on;
    # see answer_key(). Signing once per cached answer keeps signatures off the hot path.
    answer_memo: dict[tuple[object, ...], CachedAnswer] = field(
        default_factory=dict, repr=False, compare=False, init=False)
    _publish_times: list[dt.datetime] = field(
        default_factory=list, repr=False, compare=False, init=False)
    _partial_rollouts: tuple[CatalogRelease, ...] = field(
        default=(), repr=False, compare=False, init=False)
    # Every platform any release has a file for (feeds map updater OS/arch names onto them).
    platforms: frozenset[str] = field(default=frozenset(), repr=False, compare=False,
                                      init=False)

    def __post_init__(self) -> None:
        scheduled = sorted(r.publish_at for r in self.releases if r.publish_at is not None)
        partial = tuple(r for r in self.releases if 0 < r.rollout_percent < 100)
        object.__setattr__(self, "_publish_times", scheduled)
        object.__setattr__(self, "_partial_rollouts", partial)
        object.__setattr__(self, "platforms", frozenset(
            p for r in self.releases for p in r.artifacts))

    def answer_key(self, version: Version, channel: str, platform: str | None,
                   install_id: str | None, base_url: str, now: dt.datetime,
                   in_rollout: Callable[[str | None, str, CatalogRelease], bool],
                   ) -> tuple[object, ...]:
        """Everything a check answer depends on besides the catalog itself: which scheduled
        releases are visible by now, and which partial rollouts this install is in."""
        visible = bisect.bisect_right(self._publish_times, now)
        rollouts = tuple(in_rollout(install_id, self.slug, r) for r in self._partial_rollouts)
        return (str(version), channel, platform, base_url, visible, rollouts)

    def match_locale(self, requested: str | None) -> str:
        """The product's locale for a reader's tag (hu-HU → hu → the default): the one
        part of a check answer's cache key that a locale changes."""
        return best_locale(requested, self.offered_locales, self.default_locale)

    def remember_answer(self, key: tuple[object, ...], answer: CachedAnswer) -> None:
        if len(self.answer_memo) >= MEMO_LIMIT:
            self.answer_memo.clear()
        self.answer_memo[key] = answer

    def fix_released(self, notice: CatalogNotice, now: dt.datetime) -> bool:
        """A published, visible, non-yanked release that fixes the notice exists."""
        return self.fixing_release(notice, now) is not None

    def fixing_release(self, notice: CatalogNotice, now: dt.datetime) -> CatalogRelease | None:
        """The lowest offerable release that fixes the notice (rules.fixing_release)."""
        return rules.fixing_release(self.releases, notice.specifier, notice.fixed_in, now)

    def notices_for(self, version: Version, channel: str,
                    platform: str | None) -> tuple[CatalogNotice, ...]:
        key = (str(version), channel, platform)
        found = self._notice_memo.get(key)
        if found is None:
            found = tuple(n for n in self.notices if n.applies_to(version, channel, platform))
            if len(self._notice_memo) >= MEMO_LIMIT:
                self._notice_memo.clear()
            self._notice_memo[key] = found
        return found

    def reported_platform(self, value: str | None) -> str | None:
        """The platform an install reported, as this product names it (400 otherwise)."""
        return reported_platform(value, self.own_platforms, self.registry, self.slug)

    def updater_platform(self, os: str, arch: str | None, field: str) -> str:
        """The registered platform of an updater on (os, arch) without files (400 otherwise)."""
        return updater_platform(os, arch, self.own_platforms, self.registry, self.slug, field)

    def channels_up_to(self, channel: str) -> frozenset[str]:
        """The channel and every more stable one: a beta install also gets stable."""
        return frozenset(self.channels[: self.channels.index(channel) + 1])

    def release(self, version: Version) -> CatalogRelease | None:
        return self.by_key.get(version_key(version))


def _url_filename(url: str | None) -> str | None:
    return url.split("?", 1)[0].rstrip("/").rsplit("/", 1)[-1] or None if url else None


def load_catalog(session: Session, product: Product, revision: int) -> Catalog:
    rows = session.scalars(
        sa.select(Release)
        .where(Release.product_id == product.id, Release.draft.is_(False),
               Release.published_at.is_not(None))
        .options(selectinload(Release.artifacts)))
    releases = []
    patches = ready_patches(session, product)
    for r in rows:
        artifacts: dict[str, CatalogArtifact] = {}
        deltas: dict[str, CatalogArtifact] = {}
        blockmaps = {(a.platform, a.filename): a.size for a in r.artifacts
                     if a.kind == "blockmap" and a.storage_path is not None}
        # One file per platform is offered: the full package, else the installer.
        for a in sorted((a for a in r.artifacts if a.kind in KIND_PREFERENCE),
                        key=lambda a: KIND_PREFERENCE.index(a.kind)):
            entry = CatalogArtifact(
                platform=a.platform,
                url=a.url or f"/downloads/{product.slug}/{r.version}/{a.platform}/{a.filename}",
                external=a.url is not None, size=a.size, sha256=a.sha256,
                signature=a.signature, manifest_signature=a.manifest_signature,
                sha512=a.sha512, sha1=a.sha1, kind=a.kind,
                minisign_signature=a.minisign_signature,
                filename=a.filename or _url_filename(a.url),
                blockmap_size=blockmaps.get((a.platform, f"{a.filename}.blockmap"))
                if a.storage_path is not None else None)
            if a.kind == "delta":
                deltas[a.platform] = entry
            else:
                artifacts.setdefault(a.platform, entry)
        assert r.published_at is not None
        version = Version(r.version)
        releases.append(CatalogRelease(
            id=r.id, version=version, version_text=r.version, channel=r.channel,
            critical=r.critical, yanked=r.yanked, notes=r.notes, published_at=r.published_at,
            publish_at=r.publish_at, artifacts=artifacts, rollout_percent=r.rollout_percent,
            paused=r.paused,
            min_upgrade_from=Version(r.min_upgrade_from) if r.min_upgrade_from else None,
            deltas=deltas, semver=to_semver(version), patches=patches.get(r.id, {}),
            translations=dict(r.translations or {})))
    releases.sort(key=lambda r: r.version, reverse=True)
    # Drafts and withdrawn notices reach no install.
    notices = [catalog_notice(n) for n in session.scalars(sa.select(Notice).where(
        Notice.product_id == product.id, Notice.status != "withdrawn",
        Notice.published_at.is_not(None)))]
    notices.sort(key=lambda n: n.public_id)
    notices.sort(key=lambda n: n.updated_at, reverse=True)
    notices.sort(key=lambda n: SEVERITIES.index(n.severity))
    minimum = product.minimum_supported_version
    own = tuple(product_platforms(session, product))
    return Catalog(
        product_id=product.id, slug=product.slug, name=product.name, revision=revision,
        channels=tuple(product.channels),
        minimum_supported=Version(minimum) if minimum else None,
        releases=tuple(releases),
        by_key={version_key(r.version): r for r in releases},
        support_url=product.support_url, support_email=product.support_email,
        notices=tuple(notices), product_row_version=product.row_version,
        feed_formats=frozenset(product.feed_formats or ()),
        own_platforms=own, registry=frozenset((*own, *BUILTIN_NAMES)),
        default_locale=product.default_locale,
        offered_locales=tuple(product.offered_locales or ()),
        failure_reports=product.failure_reports,
        stopped_channels=frozenset(session.scalars(
            sa.select(EmergencyStop.channel).where(EmergencyStop.product_id == product.id))))


def ready_patches(session: Session, product: Product,
                  ) -> dict[int, dict[tuple[str, str], CatalogPatch]]:
    """Built deltas whose two files still hold the bytes they were made from, by the new
    release's id."""
    base, new, earlier = aliased(Artifact), aliased(Artifact), aliased(Release)
    rows = session.execute(
        sa.select(Delta, new.release_id, new.platform, earlier.version, earlier.version_key)
        .join(new, new.id == Delta.to_artifact_id)
        .join(base, base.id == Delta.from_artifact_id)
        .join(earlier, earlier.id == base.release_id)
        .where(Delta.product_id == product.id, Delta.state == "ready",
               new.sha256 == Delta.to_sha256, base.sha256 == Delta.from_sha256))
    found: dict[int, dict[tuple[str, str], CatalogPatch]] = {}
    for delta, release_id, platform, from_version, from_key in rows:
        assert delta.size is not None and delta.sha256 is not None  # set when ready
        found.setdefault(release_id, {})[(platform, from_key)] = CatalogPatch(
            from_version=from_version, size=delta.size, sha256=delta.sha256,
            url=f"/downloads/{product.slug}/deltas/{delta.sha256}", from_sha256=delta.from_sha256,
            algorithm=delta.algorithm)
    return found


def catalog_notice(n: Notice) -> CatalogNotice:
    """A notice as the decision sees it (also used to preview a draft and count the
    installs it would reach, with the same matching rule)."""
    return CatalogNotice(
        public_id=n.public_id, revision=n.revision, title=n.title, summary=n.summary,
        severity=n.severity, status=n.status, specifier=rules.affected_range(n.affected),
        platforms=tuple(n.platforms), channels=tuple(n.channels), workaround=n.workaround,
        fixed_in=Version(n.fixed_in) if n.fixed_in else None, fixed_in_text=n.fixed_in,
        updated_at=n.updated_at,
        hold_release=Version(n.hold_release) if n.hold_release else None,
        fix_critical=n.fix_critical, translations=dict(n.translations or {}))
