"""What every console module shares: the blueprint, and the helpers that turn a service
call on a submitted form into either a redirect or the form again with the error at its field."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from flask import Blueprint, flash, redirect, request, url_for
from werkzeug.wrappers import Response as BaseResponse

from ..db import db
from ..errors import UpdatesrvError
from ..products.models import Product
from ..releases import services as releases
from . import forms
from .auth import current_user, product_access

bp = Blueprint("console", __name__, url_prefix="/console")
View = str | BaseResponse | tuple[str, int]


@bp.app_context_processor
def _inject() -> dict[str, Any]:
    return {"current_user": current_user if request.path.startswith("/console") else None}


def form_status(form: Any) -> int:
    """Re-rendered forms with errors answer 400 (browsers show them; tests can tell)."""
    return 400 if form.errors or getattr(form, "form_errors", None) else 200


def apply_form(form: Any, action: Callable[[], Any], message: str | Callable[[Any], str],
           target: str | Callable[[Any], str]) -> BaseResponse | None:
    """Runs a service call for a submitted form. A domain error is rolled back and shown
    next to its field (returns None: re-render the form); success flashes ``message`` and
    redirects to ``target`` (either may be computed from the service's result)."""
    try:
        result = action()
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
