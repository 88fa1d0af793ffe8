"""The check endpoint's wire format, a contract third-party clients rely on."""

from __future__ import annotations

import datetime as dt
from typing import Any

from ..i18n.content import best_locale, localized
from ..timeutil import rfc3339
from ..trust.manifest import release_manifest
from ..versions import version_key
from .catalog import Catalog, CatalogNotice
from .decision import Decision


def absolute(url: str, base_url: str) -> str:
    return url if url.startswith(("http://", "https://")) else base_url + url


def support_url(catalog: Catalog) -> str | None:
    """The vendor's support contact, or None: "Contact support" must never send a stuck
    user to the product page it came from (the console asks vendors for a contact)."""
    if catalog.support_url:
        return catalog.support_url
    if catalog.support_email:
        return f"mailto:{catalog.support_email}"
    return None


def notice_body(notice: CatalogNotice, decision: Decision | None, catalog: Catalog,
                base_url: str, now: dt.datetime | None = None, *,
                memo: bool = True, locale: str | None = None) -> dict[str, Any]:
    """A notice as delivered to installs, its text in ``locale`` where the vendor
    translated it (else the product's default). ``fix_available`` is about this install's
    offer; asked without an install (no decision), it says whether a fixing release is out."""
    locale = locale or catalog.default_locale
    if decision is not None:
        fix_available = decision.fix_available(notice)
    else:
        assert now is not None
        fix_available = catalog.fix_released(notice, now)
    if not memo:  # a preview of a notice being edited (a draft is in no catalog)
        return {**_static_notice_body(notice, catalog, base_url, locale),
                "fix_available": fix_available}
    key = (notice.public_id, base_url, locale)
    static = catalog.body_memo.get(key)
    if static is None:
        if len(catalog.body_memo) >= 4 * len(catalog.notices) + 64:
            catalog.body_memo.clear()  # many base URLs (Host headers): stay bounded
        static = catalog.body_memo[key] = _static_notice_body(notice, catalog, base_url,
                                                              locale)
    return {**static, "fix_available": fix_available}


def _static_notice_body(notice: CatalogNotice, catalog: Catalog, base_url: str,
                        locale: str) -> dict[str, Any]:
    shown = best_locale(locale, notice.translations, catalog.default_locale)
    text, _ = localized({"title": notice.title, "summary": notice.summary,
                         "workaround": notice.workaround}, notice.translations, shown,
                        catalog.default_locale)
    return {
        "id": notice.public_id,
        "revision": notice.revision,
        "title": text["title"],
        "summary": text["summary"],
        "severity": notice.severity,
        "status": notice.status,
        "platforms": list(notice.platforms),
        "workaround": text["workaround"],
        "fixed_in": notice.fixed_in_text,
        "fix_available": False,
        "url": f"{base_url}/p/{catalog.slug}/known-issues/{notice.public_id}",
        "support_url": support_url(catalog),
        "updated_at": rfc3339(notice.updated_at),
        "locale": shown,
    }


def check_body(decision: Decision, catalog: Catalog, channel: str, base_url: str,
               check_again_after: int, locale: str | None = None) -> dict[str, Any]:
    installed = decision.installed
    update: dict[str, Any] | None = None
    if decision.update is not None:
        release, artifact = decision.update.release, decision.update.artifact
        notes_locale = best_locale(locale, release.translations, catalog.default_locale)
        notes, _ = localized({"notes": release.notes}, release.translations, notes_locale,
                             catalog.default_locale)
        update = {
            "version": release.version_text,
            "channel": release.channel,
            "published_at": rfc3339(release.published_at),
            "critical": decision.update.critical,
            "notes": notes["notes"],
            "locale": notes_locale,
            "notes_url": f"{base_url}/p/{catalog.slug}/releases/{release.version_text}",
            "download": {
                "url": absolute(artifact.url, base_url),
                "size": artifact.size,
                "sha256": artifact.sha256,
                "signature": artifact.signature,
            },
        }
        if artifact.manifest_signature is not None:
            # The exact bytes the vendor signed, so clients verify without re-encoding.
            update["download"]["manifest"] = release_manifest(
                catalog.slug, release.version_text, artifact.platform, artifact.size,
                artifact.sha256).decode()
            update["download"]["manifest_signature"] = artifact.manifest_signature
        patch = (release.patches.get((artifact.platform, version_key(installed.version)))
                 if installed.version is not None else None)
        if patch is not None:
            # The client rebuilds the offered file from its installed one and verifies the
            # result against "download" (sha256, signatures); any failure: the full file.
            update["delta"] = {"from": patch.from_version,
                               "url": absolute(patch.url, base_url), "size": patch.size,
                               "sha256": patch.sha256, "from_sha256": patch.from_sha256,
                               "algorithm": patch.algorithm}
    return {
        "product": catalog.slug,
        "product_name": catalog.name,
        "channel": channel,
        "installed": {"version": str(installed.version), "known": installed.known,
                      "yanked": installed.yanked, "supported": installed.supported},
        "update": update,
        "notices": [notice_body(n, decision, catalog, base_url, locale=locale)
                    for n in decision.notices],
        "check_again_after": check_again_after,
    }
