"""What every console module shares: the blueprint, and the helpers that turn a service
call on a submitted form into either a redirect or the form again with the error at its field."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from flask import Blueprint, current_app, flash, redirect, request, url_for
from werkzeug.wrappers import Response as BaseResponse

from ..db import db
from ..errors import UpdatesrvError
from ..products.models import Product
from ..releases import services as releases
from ..versioning import PreconditionFailed
from . import forms
from .auth import current_user, product_access

bp = Blueprint("console", __name__, url_prefix="/console")
View = str | BaseResponse | tuple[str, int]


@bp.app_context_processor
def _inject() -> dict[str, Any]:
    return {"current_user": current_user if request.path.startswith("/console") else None}


CONFLICT = ("Changed by someone else since you opened this page, so nothing was saved. "
            "Your values are still in the form; under each field that differs you see "
            "the value saved now. Save again to replace it with yours, or reload the page "
            "to start from the saved version.")
SHOWN_CHARACTERS = 400


def _comparable(value: Any) -> Any:
    if value is None:
        return ""
    if isinstance(value, (list, tuple, set)):
        return sorted(str(v) for v in value)
    if isinstance(value, str):
        return value.strip().replace("\r\n", "\n")
    return value


def _shown(value: Any) -> str:
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, (list, tuple)):
        value = ", ".join(str(v) for v in value)
    text = "" if value is None else str(value)
    if not text.strip():
        return "(empty)"
    if len(text) > SHOWN_CHARACTERS:
        return (f"{text[:SHOWN_CHARACTERS]}… ({len(text)} characters; reload the page "
                "to see all of it)")
    return text


def show_conflict(form: Any, saved: dict[str, Any], saved_version: int) -> None:
    """The console's answer to a 412: keep the editor's values, show the saved ones next
    to them, and let a second save knowingly replace them."""
    form.form_errors.append(CONFLICT)
    for name, value in saved.items():
        field = getattr(form, name, None)
        if field is not None and _comparable(field.data) != _comparable(value):
            field.errors = [*list(field.errors), f"Saved now by someone else: {_shown(value)}"]
    form.row_version.data = str(saved_version)


def form_status(form: Any) -> int:
    """Re-rendered forms with errors answer 400 (browsers show them; tests can tell)."""
    return 400 if form.errors or getattr(form, "form_errors", None) else 200


def apply_form(form: Any, action: Callable[[], Any], message: str | Callable[[Any], str],
               target: str | Callable[[Any], str],
               saved: Callable[[], tuple[dict[str, Any], int]] | None = None
               ) -> BaseResponse | None:
    """Runs a service call for a submitted form. A domain error is rolled back and shown
    next to its field (returns None: re-render the form); success flashes ``message`` and
    redirects to ``target`` (either may be computed from the service's result). For an
    edit form, ``saved`` returns the row's saved values and version after a conflict."""
    try:
        result = action()
    except PreconditionFailed:
        db.session.rollback()
        if saved is None:
            raise
        values, version = saved()
        show_conflict(form, values, version)
        return None
    except UpdatesrvError as exc:
        db.session.rollback()
        forms.show_error(form, exc)
        return None
    flash(message(result) if callable(message) else message, "ok")
    return redirect(target(result) if callable(target) else target)


def release_url(vendor: str, product: str, version: str) -> str:
    return url_for("console.release_page", vendor=vendor, product=product, version=version)


def release_context(vendor: str, product: str, version: str,
                     needed: str = "viewer") -> tuple[Any, Product, Any]:
    """The access check, the product and the release every release view starts with."""
    access, prod = product_access(vendor, product, needed)
    return access, prod, releases.get_release(db.session, prod, version)


def notice_url(vendor: str, product: str, notice_id: str) -> str:
    return url_for("console.notice_page", vendor=vendor, product=product, notice_id=notice_id)


def absolute_url(path: str) -> str:
    """A link for a mail or to pass on: at the public BASE_URL when one is set (the server
    may sit behind a proxy), else at the address this request reached."""
    base = current_app.config.get("BASE_URL")
    if base:
        return str(base).rstrip("/") + path[len(request.script_root):]
    return request.host_url.rstrip("/") + path
