"""The web's forms, parsed with WTForms: each field says what it takes, and a form that cannot be
accepted is refused with every field's message at once (a domain ``Invalid``, shown by the one handler
with everything typed kept). CSRF is checked for every form by ``CSRFProtect``, so these forms do not
check it again."""

import math
from collections.abc import Callable
from typing import Any

from wtforms import Form, StringField
from wtforms.validators import ValidationError

from commons.domain.comparability import PHASE_CHOICES, PROVISIONS, REGIONS, SETTINGS, SchoolContext
from commons.domain.errors import Invalid
from commons.services import readers


class Typed(StringField):  # type: ignore[misc]  # WTForms ships no types
    """A text field kept as typed, less the spaces around it."""

    def process_formdata(self, valuelist: list[Any]) -> None:
        self.data = str(valuelist[0]).strip() if valuelist else ""


def choice(choices: list[str], required: bool = False) -> Callable[[Form, Typed], None]:
    """One of ``choices`` (or nothing, unless ``required``), said in the words the page uses."""

    def check(form: Form, field: Typed) -> None:
        if not field.data:
            if required:
                raise ValidationError(f"Choose one: {', '.join(choices)}.")
        elif field.data not in choices:
            raise ValidationError(f"“{field.data}” is not one of: {', '.join(choices)}.")

    return check


def figure(label: str, low: float, high: float, whole: bool = False) -> Callable[[Form, Typed], None]:
    """A number from ``low`` to ``high`` (a whole one when ``whole``), or nothing; "38%" is 38."""
    like = "180" if whole else "38"

    def check(form: Form, field: Typed) -> None:
        raw = field.data.rstrip("%")
        if not raw:
            return
        try:
            value = float(raw)
        except ValueError:
            raise ValidationError(f"{label} must be a number, like {like}.") from None
        if not math.isfinite(value):
            raise ValidationError(f"{label} must be a number, like {like}; you entered {raw}.")
        if whole and value != int(value):
            raise ValidationError(f"{label} must be a whole number.")
        if not low <= value <= high:
            raise ValidationError(f"{label} must be between {low:,.0f} and {high:,.0f}; you entered {raw}.")

    return check


def _number(field: Typed) -> float | None:
    raw = field.data.rstrip("%")
    return float(raw) if raw else None


class DescribeSchool(Form):  # type: ignore[misc]
    """"Or describe your school": a school by what it is like, when it is not in the list (or the reader
    would rather not say which it is)."""

    phase = Typed(validators=[choice(PHASE_CHOICES, required=True)])
    provision = Typed(validators=[choice(PROVISIONS)])
    pupils = Typed(validators=[figure("Pupils on roll", 1, readers.MAX_PUPILS, whole=True)])
    fsm_pct = Typed(validators=[figure("Free school meals", 0, 100)])
    sen_pct = Typed(validators=[figure("SEN", 0, 100)])
    eal_pct = Typed(validators=[figure("EAL", 0, 100)])
    region = Typed(validators=[choice(REGIONS)])
    setting = Typed(validators=[choice(SETTINGS)])

    def context(self) -> SchoolContext:
        """The school described; :class:`Invalid`, with the message of every field that cannot be accepted."""
        if not self.validate():
            raise Invalid(errors={name: messages[0] for name, messages in self.errors.items()
                                  if isinstance(messages, list) and messages})
        pupils = _number(self.pupils)
        return readers.described(
            phase=self.phase.data, provision=self.provision.data or "mainstream",
            pupils=int(pupils) if pupils is not None else None, fsm_pct=_number(self.fsm_pct),
            sen_pct=_number(self.sen_pct), eal_pct=_number(self.eal_pct), region=self.region.data or None,
            setting=self.setting.data or None)
