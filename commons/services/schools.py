"""Schools: reading GIAS "all establishment data" CSV files and describing a school's context."""

import csv
import io
import math
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from commons.domain.comparability import (
    SchoolContext,
    context_from_fields,
    governance_of,
    provision_of,
    setting_of,
)
from commons.domain.errors import ImportProblems, NotFound
from commons.domain.text_safety import forbidden_message
from commons.models import School, utcnow

REQUIRED_COLUMNS = [
    "URN",
    "EstablishmentName",
    "TypeOfEstablishment (name)",
    "PhaseOfEducation (name)",
]
SUPPRESSED = {"", "supp", "suppressed", "x", "..", ":", "n/a", "na", "ne", "not applicable"}

# GIAS column -> (School attribute, parser name)
COLUMNS: dict[str, tuple[str, str]] = {
    "EstablishmentName": ("name", "text"),
    "TypeOfEstablishment (name)": ("establishment_type", "text"),
    "EstablishmentTypeGroup (name)": ("type_group", "text"),
    "PhaseOfEducation (name)": ("phase", "text"),
    "StatutoryLowAge": ("low_age", "int"),
    "StatutoryHighAge": ("high_age", "int"),
    "GOR (name)": ("region", "text"),
    "LA (name)": ("local_authority", "text"),
    "Town": ("town", "text"),
    "Postcode": ("postcode", "text"),
    "UrbanRural (name)": ("urban_rural", "text"),
    "NumberOfPupils": ("pupils", "int"),
    "PercentageFSM": ("fsm_pct", "percent"),
    "PercentageSEN": ("sen_pct", "percent"),
    "PercentageEAL": ("eal_pct", "percent"),
    "SEN1 (name)": ("primary_sen_need", "text"),
    "Trusts (name)": ("trust", "text"),
    "OfstedRating (name)": ("ofsted_rating", "text"),
    "OfstedLastInsp": ("ofsted_last_inspection", "date"),
}


@dataclass
class SchoolImportResult:
    created: int
    updated: int


MAX_URN = 999_999  # GIAS URNs have six digits
INTEGER_RANGES = {"low_age": (0, 99), "high_age": (0, 99), "pupils": (0, 100_000)}
MAX_FIELD = 1_000  # no GIAS field is longer; a longer one is a broken file
MAX_REPORTED = 50


def _max_length(attribute: str) -> int:
    length = getattr(School.__table__.c[attribute].type, "length", None)
    return int(length) if length else MAX_FIELD


def read_text(path: Path) -> str:
    """GIAS files are Windows-1252; UTF-8 (with or without BOM) is accepted too."""
    try:
        raw = path.read_bytes()
    except OSError as error:
        raise ImportProblems([f"{path}: cannot be read ({error.strerror})"]) from None
    if b"\x00" in raw[:65536]:
        raise ImportProblems([f"{path}: this is not a text CSV file (a spreadsheet, perhaps); "
                              "save it as CSV (comma-separated) and import that"])
    if b"\x00" in raw:
        line = raw[:raw.index(b"\x00")].count(b"\n") + 1
        raise ImportProblems([f"{path}, line {line}: holds a NUL character, so the file is damaged; "
                              "export it again as CSV"])
    for encoding in ("utf-8-sig", "cp1252"):
        try:
            return raw.decode(encoding)
        except UnicodeDecodeError:
            continue
    raise ImportProblems([f"{path}: cannot be read as UTF-8 or Windows-1252 text; export it again as CSV"])


def import_schools(
    session: Session,
    path: Path,
    fictional: bool = False,
    progress: Callable[[int], None] | None = None,
) -> SchoolImportResult:
    """Create or update schools by URN from a GIAS CSV; all rows or none.

    Every column read is checked for its range and length, every row for its number of
    fields, and every URN for duplicates; problems are reported with their line number.
    """
    text = read_text(path)
    reader = csv.reader(io.StringIO(text, newline=""))
    try:
        header = next(reader, [])
    except csv.Error as error:
        raise ImportProblems([f"{path}, line 1: the header cannot be read ({error})"]) from None
    missing = [c for c in REQUIRED_COLUMNS if c not in header]
    if missing:
        hint = ""
        if len(header) == 1 and (";" in header[0] or "\t" in header[0]):
            hint = " (the file seems to use another delimiter; GIAS files are comma-separated)"
        raise ImportProblems([f"{path}, line 1: missing column(s) {', '.join(missing)}{hint}"])

    problems: list[str] = []
    rows: dict[int, dict[str, Any]] = {}
    first_line: dict[int, int] = {}
    line_number = reader.line_num + 1
    while True:
        try:
            fields = next(reader)
        except StopIteration:
            break
        except csv.Error as error:
            problems.append(f"{path}, line {line_number}: cannot be read as CSV ({error}); "
                            "check for a field with an unmatched quote or a very long field")
            break
        this_line, line_number = line_number, reader.line_num + 1
        if not fields:
            continue
        if len(fields) != len(header):
            problems.append(f"{path}, line {this_line}: has {len(fields)} fields but the header has {len(header)}"
                            + (" (a quote is not closed, so the lines after it were read as one field)"
                               if reader.line_num > this_line else ""))
            continue
        row = dict(zip(header, fields, strict=True))
        urn = _urn(row.get("URN") or "")
        if isinstance(urn, str):
            problems.append(f"{path}, line {this_line}, URN: {urn}")
            continue
        if urn in first_line:
            problems.append(f"{path}, line {this_line}, URN: {urn} appears again (first at line {first_line[urn]}); "
                            "each school once")
            continue
        first_line[urn] = this_line
        values: dict[str, Any] = {}
        for column, (attribute, kind) in COLUMNS.items():
            if column not in row:
                continue
            try:
                values[attribute] = _parse(row[column], kind, attribute)
            except ValueError as exc:
                problems.append(f"{path}, line {this_line}, {column}: {exc}")
        if not values.get("name"):
            problems.append(f"{path}, line {this_line}, EstablishmentName: is empty")
        rows[urn] = values
        if progress is not None:
            progress(1)
    if problems:
        if len(problems) > MAX_REPORTED:
            problems = [*problems[:MAX_REPORTED], f"... and {len(problems) - MAX_REPORTED} more problem(s)"]
        raise ImportProblems(problems)

    existing: dict[int, School] = {}
    urns = list(rows)
    for start in range(0, len(urns), 5000):
        batch = urns[start : start + 5000]
        existing.update((s.urn, s) for s in session.scalars(select(School).where(School.urn.in_(batch))))
    created = updated = 0
    for urn, values in rows.items():
        school = existing.get(urn)
        if school is None:
            school = School(urn=urn, is_fictional=fictional)
            session.add(school)
            created += 1
        else:
            updated += 1
        for attribute, value in values.items():
            setattr(school, attribute, value)
        school.phase = school.phase or "Not applicable"
        school.establishment_type = school.establishment_type or "Unknown"
        school.updated_at = utcnow()
    session.flush()
    return SchoolImportResult(created=created, updated=updated)


def _urn(raw: str) -> int | str:
    """The URN, or what is wrong with it."""
    value = raw.strip()
    if not value.isascii() or not value.isdigit() or len(value) > 6 or not 1 <= int(value) <= MAX_URN:
        shown = value if len(value) <= 40 else value[:40] + "..."
        return f"{shown!r} is not a URN (a whole number from 1 to {MAX_URN})"
    return int(value)


def _parse(raw: str | None, kind: str, attribute: str = "") -> Any:
    value = (raw or "").strip()
    if len(value) > MAX_FIELD:
        raise ValueError(f"is {len(value):,} characters long; no GIAS field is longer than {MAX_FIELD:,}")
    if kind == "text":
        bad = forbidden_message(value, multiline=False)
        if bad:
            raise ValueError(bad)
        limit = _max_length(attribute) if attribute else MAX_FIELD
        if len(value) > limit:
            raise ValueError(f"is {len(value)} characters; at most {limit} fit")
        return value or None
    if value.lower() in SUPPRESSED:
        return None
    if kind == "int":
        low, high = INTEGER_RANGES.get(attribute, (0, 2**31 - 1))
        try:
            number = float(value)
        except ValueError:
            raise ValueError(f"{value[:40]!r} is not a whole number") from None
        if not math.isfinite(number) or number != int(number) or not low <= number <= high:
            raise ValueError(f"{value[:40]!r} is not a whole number from {low} to {high:,}")
        return int(number)
    if kind == "percent":
        try:
            number = float(value.rstrip("%"))
        except ValueError:
            raise ValueError(f"{value[:40]!r} is not a percentage") from None
        if not 0 <= number <= 100:  # false for NaN as well
            raise ValueError(f"{value[:40]!r} is not between 0 and 100")
        return number
    if kind == "date":
        for fmt in ("%d-%m-%Y", "%d/%m/%Y", "%Y-%m-%d"):
            try:
                return datetime.strptime(value, fmt).date()
            except ValueError:
                continue
        raise ValueError(f"{value[:40]!r} is not a date (GIAS writes dd-mm-yyyy)")
    raise AssertionError(kind)


def by_urn(session: Session, urn: int) -> School:
    """The school with this URN; :class:`NotFound` when the Commons has none."""
    found = session.get(School, urn) if 1 <= urn <= 2**31 - 1 else None
    if found is None:
        raise NotFound(f"There is no school with URN {urn} in the Commons.")
    return found


def provision(school: School) -> str:
    """Mainstream, special or alternative provision, from the establishment type."""
    return provision_of(school.establishment_type)


def governance(school: School) -> str:
    """Who runs the school, in plain words."""
    if school.trust:
        return f"Academy in {school.trust}"
    if governance_of(school.establishment_type, None) == "academy":
        return "Academy"
    if school.local_authority:
        return f"Maintained by {school.local_authority}"
    return "Maintained"


def setting(school: School) -> str | None:
    """"urban" or "rural" from the GIAS urban/rural classification."""
    return setting_of(school.urban_rural)


def phase_label(school: School) -> str:
    """The phase as a reader would say it ("special school" rather than "Not applicable")."""
    kind = provision(school)
    if kind == "special":
        return "special school"
    if kind == "alternative provision":
        return "alternative provision"
    phase = school.phase or ""
    if phase.startswith("Middle"):
        return "middle school"
    if phase == "16 plus":
        return "sixth form"
    return phase.lower() or "school"


def context(school: School) -> SchoolContext:
    """The school as it stands now, for comparison."""
    return context_from_fields({name: getattr(school, name) for name in SNAPSHOT_FIELDS}, urn=school.urn)


SNAPSHOT_FIELDS = ["name", "phase", "establishment_type", "region", "urban_rural", "pupils", "fsm_pct",
                   "sen_pct", "eal_pct", "trust", "local_authority"]


def snapshot(school: School) -> dict[str, Any]:
    """The school's context as it stands now, kept with a case study for the record."""
    return {"taken_on": date.today().isoformat(), **{name: getattr(school, name) for name in SNAPSHOT_FIELDS}}


def context_line(school: School) -> str:
    """A one-line context summary: "primary · 212 pupils · FSM 41% · rural · North West"."""
    parts = [phase_label(school)]
    if school.pupils is not None:
        parts.append(f"{school.pupils:,} pupils")
    if school.fsm_pct is not None:
        parts.append(f"FSM {school.fsm_pct:.0f}%")
    where = setting(school)
    if where:
        parts.append(where)
    if school.region:
        parts.append(school.region)
    return " · ".join(parts)


def reader_line(context: SchoolContext) -> str:
    """The reader's school in one line: "primary · 180 pupils · FSM 38% · rural · North East"."""
    parts = [context.phase or "phase not given"]
    if context.provision != "mainstream":
        parts.insert(0, context.provision)
    if context.pupils is not None:
        parts.append(f"{context.pupils:,} pupils")
    for label, value in (("FSM", context.fsm_pct), ("SEN", context.sen_pct), ("EAL", context.eal_pct)):
        if value is not None:
            parts.append(f"{label} {value:.0f}%")
    parts.extend(p for p in (context.setting, context.region) if p)
    return " · ".join(parts)
