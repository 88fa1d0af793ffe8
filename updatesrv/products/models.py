from __future__ import annotations

import datetime as dt

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..accounts.models import Vendor
from ..db import Base, utcnow
from ..versioning import Versioned, shown_in
from ..versions import DEFAULT_CHANNELS


class Product(Versioned, Base):
    __tablename__ = "products"

    id: Mapped[int] = mapped_column(primary_key=True)
    vendor_id: Mapped[int] = mapped_column(sa.ForeignKey("vendors.id", ondelete="CASCADE"),
                                           index=True)
    # Public URLs name products by slug alone (/p/ledgerly/), so slugs are global.
    slug: Mapped[str] = mapped_column(sa.String(64), unique=True)
    name: Mapped[str] = mapped_column(sa.String(200))
    channels: Mapped[list[str]] = mapped_column(sa.JSON, default=lambda: list(DEFAULT_CHANNELS))
    minimum_supported_version: Mapped[str | None] = mapped_column(sa.String(64))
    support_url: Mapped[str | None] = mapped_column(sa.String(500))
    support_email: Mapped[str | None] = mapped_column(sa.String(254))
    # The language of the vendor's own text (a notice's fields, release notes), and the
    # other locales the vendor translates it into (BCP 47 tags, e.g. "hu", "de-CH").
    default_locale: Mapped[str] = mapped_column(sa.String(35), default="en",
                                                server_default="en")
    offered_locales: Mapped[list[str]] = mapped_column(sa.JSON, default=list,
                                                       server_default="[]")
    # Unique, so notice ids ({PREFIX}-{YYYY}-{NNNN}) never collide across products.
    notice_prefix: Mapped[str] = mapped_column(sa.String(16), index=True, unique=True)
    next_notice_number: Mapped[int] = mapped_column(default=1)
    # Bumped in the same transaction as every change a client could see; web processes
    # compare it to re-validate their cached catalog with one indexed read per request.
    catalog_revision: Mapped[int] = mapped_column(default=1)
    # Platforms the vendor declared: [{"id": "windows-x86_64", "name": "Windows (64-bit)"}]
    # (name None = the built-in name). With the platforms of its artifacts, the registry
    # every platform a vendor types is checked against (see products/platforms.py).
    platforms: Mapped[list[dict[str, str | None]]] = mapped_column(
        sa.JSON, default=list, server_default="[]")
    is_demo: Mapped[bool] = mapped_column(default=False)
    # Compatible update feeds switched on (updatesrv.feeds.FORMATS); off until the vendor
    # connects an updater, so no URL answers for a format nobody chose.
    feed_formats: Mapped[list[str]] = mapped_column(sa.JSON, default=list,
                                                    server_default="[]")
    # Failure reports from installs (updatesrv.reports): off until the vendor turns them
    # on; the alarm fires when a group reaches both thresholds within an hour.
    failure_reports: Mapped[bool] = mapped_column(default=False, server_default=sa.false())
    failure_alarm_installs: Mapped[int] = mapped_column(default=5, server_default="5")
    failure_alarm_percent: Mapped[float] = mapped_column(sa.Float, default=2.0,
                                                         server_default="2.0")
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)

    vendor: Mapped[Vendor] = relationship()
    signing_keys: Mapped[list[SigningKey]] = relationship(
        back_populates="product", order_by="SigningKey.id", cascade="all, delete-orphan")

    @property
    def active_signing_keys(self) -> list[SigningKey]:
        return [k for k in self.signing_keys if k.retired_at is None]


@shown_in("product")
class SigningKey(Versioned, Base):
    __tablename__ = "signing_keys"
    __table_args__ = (sa.UniqueConstraint("product_id", "public_key"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    product_id: Mapped[int] = mapped_column(sa.ForeignKey("products.id", ondelete="CASCADE"),
                                            index=True)
    public_key: Mapped[str] = mapped_column(sa.String(64))
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    retired_at: Mapped[dt.datetime | None]

    product: Mapped[Product] = relationship(back_populates="signing_keys")
