"""Hardening of the data paths: feeds, CSV downloads and exports, GIAS and Markdown imports, backup, doctor.

Each test is named after the defect it closes (numbers from the hardening issue).
"""

import csv
import io
import json
import time
import xml.etree.ElementTree as ET
from pathlib import Path

import numpy as np
import pytest
from flask import Flask
from flask.testing import FlaskClient, FlaskCliRunner
from sqlalchemy import func, select

from commons.db import db
from commons.domain.case_study_format import CaseStudyFormatError, parse
from commons.domain.text_safety import csv_safe, forbidden_character, strip_forbidden, xml_safe
from commons.models import CaseStudy, School
from commons.search.extension import search_index
from commons.services.publishing import withdraw
from indexer import VectorIndex
from indexer.vector_index import MANIFEST_NAME
from tests import samples

BAD_CHARACTERS = ["\x0b", "\x1b", "\x0c", "\ufffe"]
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def _school_count(app: Flask) -> int:
    with app.app_context():
        return db.session.scalar(select(func.count()).select_from(School)) or 0


def _import(runner: FlaskCliRunner, folder: Path) -> None:
    result = runner.invoke(args=["import", str(folder)])
    assert result.exit_code == 0, result.output


# 7: control characters and non-characters -----------------------------------------------------------


def test_defect_07_control_characters_are_refused_on_import_and_never_reach_a_feed(
    app: Flask, runner: FlaskCliRunner, client: FlaskClient, tmp_path: Path
) -> None:
    # The domain rule: found, named, stripped; XML output loses what XML 1.0 forbids.
    for bad in BAD_CHARACTERS:
        assert forbidden_character(f"A{bad}B", multiline=False) == f"U+{ord(bad):04X}"
        assert strip_forbidden(f"A{bad}B") == "AB"
        assert xml_safe(f"A{bad}B") == "AB"
    assert forbidden_character("line one\nline two\ttab") is None
    assert forbidden_character("a\nname", multiline=False) == "U+000A"
    assert xml_safe("tab\tline\ncr\r é ✓") == "tab\tline\ncr\r é ✓"

    # Markdown import: raw in the file, or made by a YAML escape, the character is refused with its line.
    for number, bad in enumerate(BAD_CHARACTERS):
        samples.write(tmp_path / f"raw{number}", "raw", title=f'"Attendance{bad} in a village"')
        refused = runner.invoke(args=["import", str(tmp_path / f"raw{number}")])
        assert refused.exit_code == 1 and "line 2" in refused.output and f"U+{ord(bad):04X}" in refused.output, \
            refused.output
    samples.write(tmp_path / "escaped", "escaped", summary='"A same-day call\\v and a breakfast club."')
    refused = runner.invoke(args=["import", str(tmp_path / "escaped")])
    assert refused.exit_code == 1 and "summary" in refused.output and "U+000B" in refused.output, refused.output

    # GIAS import: a school name with an escape character is refused.
    before = _school_count(app)
    bad_csv = tmp_path / "gias.csv"
    bad_csv.write_text(_gias([{"URN": "145001", "EstablishmentName": "Fell\x1b[31m Primary"}]), encoding="utf-8")
    refused = runner.invoke(args=["schools", "import", str(bad_csv)])
    assert refused.exit_code == 1 and "line 2, EstablishmentName" in refused.output, refused.output
    assert _school_count(app) == before

    # Whatever got in by another path, every feed stays well-formed XML.
    samples.write(tmp_path / "ok", "fine")
    _import(runner, tmp_path / "ok")
    with app.app_context():
        case_study = db.session.scalar(select(CaseStudy).where(CaseStudy.slug == "fine"))
        assert case_study is not None
        case_study.title = "Attendance" + "".join(BAD_CHARACTERS) + " in a village"
        case_study.summary = "A call\x0b and\x0c breakfast\ufffe."
        case_study.school.name = "Fell\x1b Primary"
        urn = case_study.school_urn
        db.session.commit()
    for url in ["/feeds/new.atom", f"/feeds/school/{urn}.atom", "/feeds/topic/attendance.atom"]:
        response = client.get(url)
        assert response.status_code == 200, url
        feed = ET.fromstring(response.data)  # raises on a character XML 1.0 forbids
        titles = [e.text for e in feed.iter("{http://www.w3.org/2005/Atom}title")]
        assert "Attendance in a village" in titles, (url, titles)


# 8: CSV formula injection ----------------------------------------------------------------------------


def test_defect_08_csv_cells_cannot_start_a_formula(
    app: Flask, runner: FlaskCliRunner, client: FlaskClient, tmp_path: Path
) -> None:
    assert [csv_safe(v) for v in ["=1+1", "+cmd", "-2", "@SUM(A1)", "\tx", "\rx", "plain", 5]] == \
        ["'=1+1", "'+cmd", "'-2", "'@SUM(A1)", "'\tx", "'\rx", "plain", 5]
    samples.write(tmp_path / "in", "formula", title='"=HYPERLINK(\\"https://evil.example\\", \\"Click\\")"',
                  summary='"+cmd|\' /C calc\'!A0 and a breakfast club."')
    _import(runner, tmp_path / "in")
    with app.app_context():
        case_study = db.session.scalar(select(CaseStudy).where(CaseStudy.slug == "formula"))
        assert case_study is not None and case_study.title.startswith("=")
        case_study.school.name = "@SUM(1+1)*cmd|' /C calc'!A0"
        db.session.commit()

    def assert_no_formula(text: str, where: str) -> list[list[str]]:
        rows = list(csv.reader(io.StringIO(text, newline="")))
        for row in rows:
            for cell in row:
                assert not cell.startswith(FORMULA_STARTS), (where, cell)
        return rows

    download = client.get("/open-data/case-studies.csv")
    rows = assert_no_formula(download.get_data(as_text=True), "download")
    assert rows[1][1].startswith("'=HYPERLINK") and rows[1][2].startswith("'+cmd")

    out = tmp_path / "export"
    assert runner.invoke(args=["export", str(out)]).exit_code == 0
    exported = assert_no_formula((out / "case-studies.csv").read_text(encoding="utf-8"), "export")
    assert exported[1][1].startswith("'=HYPERLINK")
    schools = assert_no_formula((out / "schools.csv").read_text(encoding="utf-8"), "schools.csv")
    assert schools[1][1] == "'@SUM(1+1)*cmd|' /C calc'!A0"


# 17: GIAS import validation --------------------------------------------------------------------------

GIAS_HEADER = ["URN", "LA (name)", "EstablishmentName", "TypeOfEstablishment (name)", "PhaseOfEducation (name)",
               "StatutoryLowAge", "StatutoryHighAge", "GOR (name)", "Town", "Postcode", "NumberOfPupils",
               "PercentageFSM"]


def _gias(rows: list[dict[str, str]]) -> str:
    buffer = io.StringIO(newline="")
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(GIAS_HEADER)
    for row in rows:
        full = {"EstablishmentName": "Fell Primary", "TypeOfEstablishment (name)": "Academy converter",
                "PhaseOfEducation (name)": "Primary", "NumberOfPupils": "57", **row}
        writer.writerow([full.get(h, "") for h in GIAS_HEADER])
    return buffer.getvalue()


def _school(urn: str, **fields: str) -> dict[str, str]:
    return {"URN": urn, **fields}


GOOD = _school("145001")
BAD_GIAS_FILES: dict[str, tuple[bytes, str]] = {
    "23-digit URN": (_gias([_school("1" * 23)]).encode(), "line 2, URN"),
    "URN 0": (_gias([_school("0")]).encode(), "line 2, URN"),
    "URN -5": (_gias([_school("-5")]).encode(), "line 2, URN"),
    "pupils inf": (_gias([_school("145001", NumberOfPupils="inf")]).encode(), "line 2, NumberOfPupils"),
    "pupils 1e30": (_gias([_school("145001", NumberOfPupils="1e30")]).encode(), "line 2, NumberOfPupils"),
    "pupils negative": (_gias([_school("145001", NumberOfPupils="-12")]).encode(), "line 2, NumberOfPupils"),
    "pupils nan": (_gias([_school("145001", NumberOfPupils="nan")]).encode(), "line 2, NumberOfPupils"),
    "fsm nan": (_gias([_school("145001", PercentageFSM="nan")]).encode(), "line 2, PercentageFSM"),
    "200,000-character field": (_gias([GOOD, _school("145002", Town="x" * 200_000)]).encode(), "line 3"),
    "500-character postcode": (_gias([_school("145001", Postcode="A" * 500)]).encode(), "line 2, Postcode"),
    "newline in a name": (_gias([GOOD, _school("145002", EstablishmentName="Fell\nPrimary")]).encode(),
                          "line 3, EstablishmentName"),
    "control character in a name": (_gias([_school("145001", EstablishmentName="Fell\x07 Primary")]).encode(),
                                    "line 2, EstablishmentName"),
    "duplicate URN": (_gias([GOOD, _school("145002"), _school("145001", EstablishmentName="Other")]).encode(),
                      "line 4, URN: 145001 appears again (first at line 2)"),
    "unterminated quote": (_gias([GOOD]).encode() + b'145002,,"Broken Primary,Academy converter,Primary,,,,,,57,\r\n'
                           + _gias([_school("145003")]).split("\r\n", 1)[1].encode(), "line 3"),
    "too many fields": (_gias([GOOD]).encode() + b"145002,,Extra,Academy converter,Primary,,,,,,57,,surplus\r\n",
                        "line 3: has 13 fields but the header has 12"),
    "NUL after 64 KB": (_gias([_school(str(145001 + n)) for n in range(1500)]).encode() + b"146600,\x00,x\r\n",
                        "NUL"),
}


@pytest.mark.parametrize("case", list(BAD_GIAS_FILES))
def test_defect_17_gias_import_validates_every_column_and_row(
    app: Flask, runner: FlaskCliRunner, tmp_path: Path, case: str
) -> None:
    content, expected = BAD_GIAS_FILES[case]
    if case == "NUL after 64 KB":
        assert content.index(b"\x00") > 65536
    before = _school_count(app)
    path = tmp_path / "edubasealldata.csv"
    path.write_bytes(content)
    result = runner.invoke(args=["schools", "import", str(path)])
    assert result.exit_code == 1, result.output
    assert isinstance(result.exception, SystemExit), result.exception  # a message, not a traceback
    assert "Nothing was imported" in result.output and expected in result.output, result.output
    assert "added" not in result.output
    assert _school_count(app) == before


def test_defect_17_a_sound_gias_file_still_imports(app: Flask, runner: FlaskCliRunner, tmp_path: Path) -> None:
    path = tmp_path / "edubasealldata.csv"
    path.write_text(_gias([_school("145001", Postcode="CA12 4AB", NumberOfPupils="57", StatutoryHighAge="11",
                                   PercentageFSM="SUPP"),
                           _school("145002", EstablishmentName="Harbour Special School", NumberOfPupils="")]),
                    encoding="utf-8")
    result = runner.invoke(args=["schools", "import", str(path)])
    assert result.exit_code == 0 and "2 added, 0 updated" in result.output, result.output
    with app.app_context():
        fell = db.session.get(School, 145001)
        assert fell is not None and fell.pupils == 57 and fell.postcode == "CA12 4AB" and fell.fsm_pct is None


# 19: Markdown import: YAML errors and aliases --------------------------------------------------------


def test_defect_19_yaml_problems_are_file_and_line_problems_and_aliases_are_refused(
    app: Flask, runner: FlaskCliRunner, tmp_path: Path
) -> None:
    cases = {
        "long-urn": (dict(urn=int("1" * 23)), "line 3, school_urn"),
        "bad-date": (dict(published="2024-13-45"), "line 11, published"),
        "deep": (dict(topics="[" * 2000 + "]" * 2000), "front matter: is not valid YAML"),
    }
    for slug, (fields, expected) in cases.items():
        samples.write(tmp_path / slug, slug, **fields)  # type: ignore[arg-type]
        result = runner.invoke(args=["import", str(tmp_path / slug)])
        assert result.exit_code == 1 and isinstance(result.exception, SystemExit), (slug, result.exception)
        assert expected in result.output, (slug, result.output)

    levels = ["a: &a [\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\"]"]
    for n in range(ord("b"), ord("j")):
        previous = chr(n - 1)
        levels.append(f"{chr(n)}: &{chr(n)} [*{previous},*{previous},*{previous},*{previous},*{previous},"
                      f"*{previous},*{previous},*{previous},*{previous}]")
    bomb = samples.source("bomb").replace("---\n", "---\n" + "\n".join(levels) + "\n", 1)
    bomb = bomb.replace('title: "Breakfast and a phone call: attendance in a village school"', "title: *i")
    assert len(bomb) < 3000
    started = time.perf_counter()
    with pytest.raises(CaseStudyFormatError) as refused:
        parse(bomb, "bomb.md")
    assert time.perf_counter() - started < 1.0
    assert "aliases" in str(refused.value) and "bomb.md, line " in str(refused.value)

    # An unquoted, valid date is still read as a date.
    assert parse(samples.source("dated"), "dated.md", "dated").published.isoformat() == "2024-07-01"  # type: ignore[union-attr]


# 21: export into a folder used before ---------------------------------------------------------------


def test_defect_21_export_leaves_no_file_of_a_withdrawn_case_study(
    app: Flask, runner: FlaskCliRunner, tmp_path: Path
) -> None:
    samples.write(tmp_path / "in", "kept")
    samples.write(tmp_path / "in", "private", title='"Withdrawn for privacy"')
    _import(runner, tmp_path / "in")
    out = tmp_path / "export"
    assert runner.invoke(args=["export", str(out)]).exit_code == 0
    assert (out / "case-studies" / "private.md").exists()
    (out / "README-ours.txt").write_text("a file of the user's own")
    with app.app_context():
        withdraw(db.session, db.session.scalar(select(CaseStudy).where(CaseStudy.slug == "private")))
        db.session.commit()
    result = runner.invoke(args=["export", str(out)])
    assert result.exit_code == 0, result.output
    assert sorted(p.name for p in (out / "case-studies").iterdir()) == ["kept.md"]
    assert "Withdrawn for privacy" not in (out / "case-studies.csv").read_text(encoding="utf-8")
    assert "Withdrawn for privacy" not in (out / "case-studies.jsonl").read_text(encoding="utf-8")
    assert (out / "README-ours.txt").exists()  # files the export does not own are left alone
    assert not [p for p in out.rglob(".*")]  # no temporary files left behind


# 29: backup into a folder that cannot be made -------------------------------------------------------


def test_defect_29_backup_to_a_folder_that_cannot_be_made_is_a_clear_error(
    runner: FlaskCliRunner, tmp_path: Path
) -> None:
    (tmp_path / "a-file").write_text("not a folder")
    for target in [tmp_path / "a-file" / "commons.backup", tmp_path / "a-file" / "deeper" / "commons.backup"]:
        result = runner.invoke(args=["backup", str(target)])
        assert result.exit_code == 1 and isinstance(result.exception, SystemExit), result.exception
        assert "Error:" in result.output and "cannot" in result.output and "Traceback" not in result.output
    made = runner.invoke(args=["backup", str(tmp_path / "missing" / "deeper" / "commons.backup")])
    assert made.exit_code == 0, made.output  # a missing folder that can be made is made


# 11: doctor and non-finite vectors ------------------------------------------------------------------


def test_defect_11_doctor_finds_nan_vectors(app: Flask, runner: FlaskCliRunner, tmp_path: Path) -> None:
    samples.write(tmp_path / "in", "first")
    _import(runner, tmp_path / "in")
    folder = Path(app.config["COMMONS_INDEX_DIR"])
    with app.app_context():
        index = VectorIndex.load(folder, search_index.state.model, 384)
        victim = min(index.ids())
        index.append([victim], np.full((1, 384), np.nan, dtype=np.float32))
        index.save(folder)
    result = runner.invoke(args=["doctor"])
    assert result.exit_code == 1, result.output
    assert "1 vectors are not finite numbers" in result.output
    assert runner.invoke(args=["doctor", "--repair"]).exit_code == 0
    with app.app_context():
        assert np.isfinite(VectorIndex.load(folder, search_index.state.model, 384).vector(victim)).all()


def test_defect_07_a_control_character_is_reported_in_its_field_or_section() -> None:
    with pytest.raises(CaseStudyFormatError) as refused:
        parse(samples.source("s", sections={"impact": "Attendance rose\x1b[2J to 94%."}), "s.md", "s")
    [problem] = refused.value.problems
    assert problem.field == "impact" and "U+001B" in problem.message
    with pytest.raises(CaseStudyFormatError) as refused:
        parse(samples.source("s", title='"Breakfast\x0c club"'), "s.md", "s")
    [problem] = refused.value.problems
    assert (problem.field, problem.line) == ("title", 2) and "U+000C" in problem.message


def test_defect_11_a_damaged_index_file_fails_its_manifest_checksum(
    app: Flask, runner: FlaskCliRunner, tmp_path: Path
) -> None:
    samples.write(tmp_path / "in", "first")
    _import(runner, tmp_path / "in")
    folder = Path(app.config["COMMONS_INDEX_DIR"])
    manifest = json.loads((folder / MANIFEST_NAME).read_text())
    assert len(manifest["sha256"]) == 64
    vectors = folder / manifest["index_file"]
    content = bytearray(vectors.read_bytes())
    content[len(content) // 2] ^= 0x01  # one bit of one vector: still a readable FAISS file
    vectors.write_bytes(bytes(content))
    result = runner.invoke(args=["doctor", "--sample", "1"])
    assert result.exit_code == 1 and "does not match the checksum in its manifest" in result.output, result.output
    assert runner.invoke(args=["doctor", "--repair"]).exit_code == 0
    assert runner.invoke(args=["doctor"]).exit_code == 0
