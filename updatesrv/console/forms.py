"""WTForms for the console. They check shape (required, length); the domain rules live in
the services, whose errors are shown next to the field they name (``show_error``)."""

from __future__ import annotations

import re
from typing import Any

from flask_wtf import FlaskForm
from flask_wtf.file import FileField, FileRequired
from wtforms import (
    BooleanField,
    EmailField,
    FloatField,
    HiddenField,
    IntegerField,
    PasswordField,
    SelectField,
    SelectMultipleField,
    StringField,
    SubmitField,
    TextAreaField,
)
from wtforms.fields.choices import SelectChoice
from wtforms.validators import URL, DataRequired, EqualTo, Length, NumberRange, Optional
from wtforms.widgets import CheckboxInput, ListWidget

from ..errors import UpdatesrvError
from ..notices.models import STATUSES
from ..textinput import TextLimit, character_problem

ROLE_CHOICES = [SelectChoice("viewer", "Viewer (read only)"),
                SelectChoice("publisher", "Publisher (releases, notices)"),
                SelectChoice("owner", "Owner (everything, incl. users, tokens, keys)")]


def choices(values: list[str] | tuple[str, ...]) -> list[SelectChoice]:
    return [SelectChoice(v, v) for v in values]


class MultiCheckboxField(SelectMultipleField):
    widget = ListWidget(prefix_label=False)
    option_widget = CheckboxInput()


def show_error(form: FlaskForm, exc: UpdatesrvError) -> None:
    """Puts a service error next to its field (or at the top of the form)."""
    aliases = {"new_password": "new_password", "signing_keys": "public_key",
               "failure_alarm": "failure_alarm_percent"}
    name = aliases.get(exc.field or "", exc.field)
    field = getattr(form, name, None) if name else None
    if field is not None and hasattr(field, "errors"):
        field.errors = [*list(field.errors), exc.detail]
    else:
        form.form_errors.append(exc.detail)


class Form(FlaskForm):
    """Every console form: no text field accepts control characters (see textinput.py),
    including the ones without a length limit (passwords)."""

    def validate(self, extra_validators: Any = None) -> bool:
        ok = super().validate(extra_validators)
        for field in self:
            if not isinstance(field.data, str) or field.type == "CSRFTokenField":
                continue
            problem = character_problem(field.data, str(field.label.text).split(" (")[0])
            if problem and problem not in field.errors:
                field.errors = [*field.errors, problem]
                ok = False
        return ok


class ActionForm(Form):
    """A button that changes something: only the CSRF token."""


class EditForm(Form):
    """A form that edits a versioned row: it carries the row version the page was loaded
    with, so a save over someone else's newer change is refused and both are shown."""

    row_version = HiddenField()

    def loaded_version(self) -> set[int] | None:
        """For the service's if_match; None when the page predates versions."""
        raw = (self.row_version.data or "").strip() if isinstance(
            self.row_version.data, str) else self.row_version.data
        if raw in (None, ""):
            return None
        try:
            return {int(raw)}
        except (TypeError, ValueError):
            return set()  # tampered with: matches nothing, so it is a conflict


class RetireKeyForm(EditForm):
    """Retire one signing key, as it was when the page was loaded."""


class LoginForm(Form):
    email = EmailField("E-mail", validators=[DataRequired(), TextLimit(254)])
    password = PasswordField("Password", validators=[DataRequired(), TextLimit(1024)])


class PasswordForm(Form):
    current_password = PasswordField("Current password", validators=[DataRequired()])
    new_password = PasswordField("New password", validators=[DataRequired(), Length(min=10)])
    confirm = PasswordField("Repeat the new password",
                            validators=[DataRequired(), EqualTo("new_password",
                                                                "The passwords differ.")])


class ForgotPasswordForm(Form):
    email = EmailField("E-mail", validators=[DataRequired(), TextLimit(254)])


class ResetPasswordForm(Form):
    new_password = PasswordField("New password", validators=[DataRequired(), Length(min=10)])
    confirm = PasswordField("Repeat the new password",
                            validators=[DataRequired(), EqualTo("new_password",
                                                                "The passwords differ.")])


class SecondFactorForm(Form):
    code = StringField("Code from your authenticator app, or a recovery code",
                       validators=[DataRequired(), TextLimit(40)])


class EnableTwoFactorForm(Form):
    code = StringField("The 6-digit code the app shows now",
                       validators=[DataRequired(), TextLimit(40)])


class DisableTwoFactorForm(Form):
    current_password = PasswordField("Your password", validators=[DataRequired()])


class RequireTwoFactorForm(Form):
    required = BooleanField("Require two-factor sign-in for every member")


class AcceptInviteForm(Form):
    name = StringField("Your name", validators=[Optional(), TextLimit(200)])
    password = PasswordField("Choose a password", validators=[DataRequired(), Length(min=10)])
    confirm = PasswordField("Repeat it", validators=[DataRequired(),
                                                     EqualTo("password", "The passwords differ.")])


class ProductForm(Form):
    slug = StringField("Slug (in URLs, e.g. ledgerly)", validators=[DataRequired(),
                                                                    TextLimit(64)])
    name = StringField("Name", validators=[DataRequired(), TextLimit(200)])


class SettingsForm(EditForm):
    name = StringField("Name", validators=[DataRequired(), TextLimit(200)])
    support_url = StringField("Support page URL", validators=[Optional(), URL(), TextLimit(500)])
    support_email = EmailField("Support e-mail", validators=[Optional(), TextLimit(254)])
    minimum_supported_version = StringField("Minimum supported version",
                                            validators=[Optional(), TextLimit(64)])
    notice_prefix = StringField("Notice id prefix", validators=[DataRequired(), TextLimit(12)])
    platforms = TextAreaField("Platforms", validators=[Optional(), TextLimit(10_000)])
    failure_reports = BooleanField("Collect failure reports from installs")
    failure_alarm_installs = IntegerField(
        "Alarm when at least this many installs fail within an hour",
        validators=[DataRequired(), NumberRange(min=1, max=1_000_000)])
    failure_alarm_percent = FloatField(
        "… and at least this percentage of the active installs of that version and platform",
        validators=[DataRequired(), NumberRange(min=0.01, max=100)])


def platforms_text(declared: list[dict[str, str | None]]) -> str:
    """Declared platforms as the settings form shows them: one per line, ``id = name``."""
    return "\n".join(f"{p['id']} = {p['name']}" if p.get("name") else str(p["id"])
                     for p in declared)


def parse_platforms_text(text: str) -> list[dict[str, str | None] | str]:
    """The settings form's lines back into the API's ``platforms`` list."""
    items: list[dict[str, str | None] | str] = []
    for line in filter(None, (raw.strip() for raw in text.splitlines())):
        pid, _, name = line.partition("=")
        items.append({"id": pid.strip(), "name": name.strip() or None})
    return items


class SigningKeyForm(Form):
    public_key = StringField("Ed25519 public key (base64)",
                             validators=[DataRequired(), TextLimit(64)])


class ReleaseForm(Form):
    version = StringField("Version", validators=[DataRequired(), TextLimit(64)])
    channel = SelectField("Channel")
    notes = TextAreaField("Release notes (Markdown)", validators=[TextLimit(100_000)])
    critical = BooleanField("Critical update (installs should not skip it)")
    preview = SubmitField("Preview notes")
    save = SubmitField("Save as draft")


class ReleaseEditForm(EditForm):
    notes = TextAreaField("Release notes (Markdown)", validators=[TextLimit(100_000)])
    critical = BooleanField("Critical update")
    preview = SubmitField("Preview notes")
    save = SubmitField("Save")


PLATFORM_REQUIRED = "Choose the platform this file is for."


class UploadForm(Form):
    # Choices: the product's platform registry (set by the view).
    platform = SelectField("Platform", validators=[DataRequired(PLATFORM_REQUIRED)])
    file = FileField("File", validators=[FileRequired()])
    signature = StringField("Signature (base64 Ed25519, if the product has keys)",
                            validators=[Optional(), TextLimit(200)])


class ExternalArtifactForm(Form):
    platform = SelectField("Platform", validators=[DataRequired(PLATFORM_REQUIRED)])
    url = StringField("Download URL", validators=[DataRequired(), URL(), TextLimit(2000)])
    size = IntegerField("Size in bytes", validators=[DataRequired(), NumberRange(min=0)])
    sha256 = StringField("SHA-256", validators=[DataRequired(), TextLimit(64, min_length=64)])
    signature = StringField("Signature (base64)", validators=[Optional(), TextLimit(200)])


class YankForm(Form):
    reason = TextAreaField("Why (shown to users)", validators=[DataRequired(),
                                                              TextLimit(2000)])
    confirm = BooleanField("Yes, withdraw this release", validators=[DataRequired(
        "Tick the box to confirm.")])


SEVERITY_CHOICES = [SelectChoice("", "Choose how serious it is…"),
                    SelectChoice("critical", "Critical: installs must update (the fix cannot "
                                             "be skipped or postponed)"),
                    SelectChoice("major", "Major: an important feature is broken"),
                    SelectChoice("minor", "Minor: an annoyance with an easy way around it"),
                    SelectChoice("info", "Info: worth knowing, nothing is broken")]
FIX_CRITICAL_LABEL = "Offer the fix as critical to affected installs"
FIX_CRITICAL_HINT = ("Once fixed, installs on an affected version are offered the fixing "
                     "release as a critical update, which they cannot skip or postpone.")


class NoticeForm(EditForm):
    title = StringField("Title", validators=[DataRequired(), TextLimit(120)])
    # No default: a quick save must not make every affected install's update critical.
    severity = SelectField("Severity", choices=SEVERITY_CHOICES,
                           validators=[DataRequired("Choose a severity: how serious is it for "
                                                    "the people affected?")])
    status = SelectField("Status", choices=choices([s for s in STATUSES if s != "withdrawn"]))
    affected = StringField("Affected versions",
                           validators=[DataRequired(), TextLimit(500)])
    platforms = MultiCheckboxField("Platforms (none ticked = every platform)")
    channels = MultiCheckboxField("Channels (none ticked = all)")
    summary = TextAreaField("Summary (plain text)", validators=[TextLimit(2000)])
    details = TextAreaField("Details (Markdown)", validators=[TextLimit(50_000)])
    workaround = TextAreaField("Workaround: what users should do (Markdown)",
                               validators=[TextLimit(50_000)])
    fixed_in = StringField("Fixed in (choose a release or type a future version)",
                           validators=[Optional(), TextLimit(64)])
    fix_critical = BooleanField(FIX_CRITICAL_LABEL)
    hold_release = StringField("Safeguard hold: do not offer matching installs this release "
                               "or newer until the notice is fixed",
                               validators=[Optional(), TextLimit(64)])
    message = TextAreaField("Timeline message (optional)", validators=[TextLimit(50_000)])
    check = SubmitField("Show matching versions")
    save = SubmitField("Save")


class NoticeUpdateForm(EditForm):
    status = SelectField("New status", choices=choices(STATUSES))
    fixed_in = StringField("Fixed in", validators=[Optional(), TextLimit(64)])
    fix_critical = BooleanField(FIX_CRITICAL_LABEL)
    message = TextAreaField("Message (Markdown, shown on the public timeline)",
                            validators=[TextLimit(50_000)])


EXPIRY_CHOICES = [SelectChoice("30d", "30 days"),
                  SelectChoice("90d", "90 days (for CI)"),
                  SelectChoice("365d", "1 year"),
                  SelectChoice("never", "Never (not recommended)")]


class TokenForm(Form):
    name = StringField("Name (e.g. CI)", validators=[DataRequired(), TextLimit(100)])
    role = SelectField("Role", choices=ROLE_CHOICES, default="publisher")
    # Choices: the vendor's products, filled in by the view.
    products = MultiCheckboxField("Products (none ticked = every product)")
    expires_in = SelectField("Expires after", choices=EXPIRY_CHOICES, default="90d")


class InviteForm(Form):
    email = EmailField("E-mail", validators=[DataRequired(), TextLimit(254)])
    role = SelectField("Role", choices=ROLE_CHOICES, default="publisher")


class MemberRoleForm(Form):
    role = SelectField("Role",
                       choices=[*ROLE_CHOICES, SelectChoice("remove", "Remove from vendor")])


class RolloutForm(EditForm):
    rollout_percent = IntegerField("Share of installs offered it (%)",
                                   validators=[DataRequired(message="Enter 0 to 100."),
                                               NumberRange(min=0, max=100)])
    min_upgrade_from = StringField("Stepping stone: installs below this version must "
                                   "update to an earlier release first",
                                   validators=[Optional(), TextLimit(64)])
    ramp = StringField("Ramp plan (replaces the steps still to come)",
                       validators=[Optional(), TextLimit(500)])


class StopForm(Form):
    reason = StringField("Reason", validators=[Optional(), TextLimit(2000)])
    confirm = BooleanField("Yes, offer nothing on this channel until I lift the stop")


RAMP_ITEM = re.compile(r"^\s*(\d{1,3})\s*%\s*(?:now|\+\s*(\d+(?:\.\d+)?)\s*h)\s*$")


def parse_ramp_text(text: str) -> list[dict[str, float | int]]:
    """'5% now, 25% +24h, 100% +72h' → the API's ramp list."""
    steps: list[dict[str, float | int]] = []
    for item in filter(None, (part.strip() for part in text.split(","))):
        match = RAMP_ITEM.match(item)
        if not match:
            raise ValueError(f"{item!r}: write steps like '5% now, 25% +24h, 100% +72h'")
        hours = float(match.group(2)) if match.group(2) else 0.0
        steps.append({"percent": int(match.group(1)),
                      "after_hours": int(hours) if hours.is_integer() else hours})
    return steps
