from __future__ import annotations

import datetime as dt

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..db import Base, utcnow
from ..products.models import Product
from ..updates.rules import release_public
from ..versioning import Versioned, shown_in


class Release(Versioned, Base):
    __tablename__ = "releases"
    __table_args__ = (sa.UniqueConstraint("product_id", "version_key"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    product_id: Mapped[int] = mapped_column(sa.ForeignKey("products.id", ondelete="CASCADE"),
                                            index=True)
    version: Mapped[str] = mapped_column(sa.String(64))
    # canonicalize_version(): PEP 440 equality, so 2.0 and 2.0.0 collide here.
    version_key: Mapped[str] = mapped_column(sa.String(64))
    channel: Mapped[str] = mapped_column(sa.String(32))
    notes: Mapped[str] = mapped_column(sa.Text, default="")
    # {"hu": {"notes": ...}}: the notes in the product's other locales.
    translations: Mapped[dict[str, dict[str, str]]] = mapped_column(
        sa.JSON, default=dict, server_default="{}")
    critical: Mapped[bool] = mapped_column(default=False)
    draft: Mapped[bool] = mapped_column(default=False)
    yanked: Mapped[bool] = mapped_column(default=False)
    yank_reason: Mapped[str | None] = mapped_column(sa.Text)
    publish_at: Mapped[dt.datetime | None]
    published_at: Mapped[dt.datetime | None]
    # Phased rollout: the share of installs (by a sticky hash of their id) offered it.
    rollout_percent: Mapped[int] = mapped_column(default=100, server_default="100")
    paused: Mapped[bool] = mapped_column(default=False, server_default=sa.false())
    paused_reason: Mapped[str | None] = mapped_column(sa.Text)
    # Stepping stone: installs below this version must first update to something else.
    min_upgrade_from: Mapped[str | None] = mapped_column(sa.String(64))
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[dt.datetime] = mapped_column(default=utcnow)

    product: Mapped[Product] = relationship()
    ramp_steps: Mapped[list[RampStep]] = relationship(
        back_populates="release", order_by="RampStep.due_at", cascade="all, delete-orphan")
    artifacts: Mapped[list[Artifact]] = relationship(
        back_populates="release", order_by="Artifact.platform", cascade="all, delete-orphan")

    def visible_at(self, now: dt.datetime) -> bool:
        return release_public(self.draft, self.published_at, self.publish_at, now)


@shown_in("release")
class Artifact(Base):
    __tablename__ = "artifacts"
    # A platform may carry one file of each kind: the full package, a delta from the
    # previous release (Velopack), and an installer for first installs.
    __table_args__ = (sa.UniqueConstraint("release_id", "platform", "kind"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    release_id: Mapped[int] = mapped_column(sa.ForeignKey("releases.id", ondelete="CASCADE"),
                                            index=True)
    platform: Mapped[str] = mapped_column(sa.String(64))
    # Either an external URL, or a file uploaded to us (storage_path relative to the
    # artifact store, filename as it will be downloaded).
    url: Mapped[str | None] = mapped_column(sa.String(2000))
    storage_path: Mapped[str | None] = mapped_column(sa.String(500))
    filename: Mapped[str | None] = mapped_column(sa.String(255))
    size: Mapped[int] = mapped_column(sa.BigInteger)
    sha256: Mapped[str] = mapped_column(sa.String(64))
    signature: Mapped[str | None] = mapped_column(sa.String(200))
    # The vendor's signature over the release manifest (trust/manifest.py): it names the
    # product, version, platform, size and sha256, so it cannot vouch for another release.
    manifest_signature: Mapped[str | None] = mapped_column(sa.String(200))
    # Computed on upload; given by the vendor for external URLs. electron-updater verifies
    # sha512 (base64 in its feed), Velopack verifies sha1.
    sha512: Mapped[str | None] = mapped_column(sa.String(128))
    sha1: Mapped[str | None] = mapped_column(sa.String(40))
    kind: Mapped[str] = mapped_column(sa.String(16), default="full", server_default="full")
    # The vendor's minisign signature file (base64 of its text, as `tauri signer` writes
    # the .sig file); served as-is in the Tauri feed.
    minisign_signature: Mapped[str | None] = mapped_column(sa.Text)
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)

    release: Mapped[Release] = relationship(back_populates="artifacts")


# Release.ramp_steps names RampStep, which lives with the rest of rollouts: importing it here
# registers it with the mapper wherever releases are used.
from ..rollouts.models import RampStep  # noqa: E402
