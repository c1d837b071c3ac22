"""How fast `commons schools import` reads a GIAS file of tens of thousands of schools.

    .venv/bin/python bench/gias_import.py [--rows 30000]

Writes a synthetic file in the real GIAS format (Windows-1252, CRLF, every value quoted, the
published column names plus columns we ignore, suppressed cells), imports it into a fresh
SQLite Commons twice (the second run updates every row), and prints the seconds taken beside a
reference measured in the same run: reading the same file with csv.DictReader alone.
The issue's figure: tens of thousands of rows in well under a minute.
"""

import argparse
import csv
import io
import random
import tempfile
import time
from pathlib import Path

from commons import create_app
from commons.db import db
from commons.ops.migrate import upgrade
from commons.services.schools import import_schools

COLUMNS = ["URN", "LA (code)", "LA (name)", "EstablishmentNumber", "EstablishmentName", "TypeOfEstablishment (name)",
           "EstablishmentTypeGroup (name)", "EstablishmentStatus (name)", "PhaseOfEducation (name)", "StatutoryLowAge",
           "StatutoryHighAge", "Boarders (name)", "Gender (name)", "GOR (name)", "Town", "Postcode",
           "UrbanRural (name)", "NumberOfPupils", "PercentageFSM", "Trusts (name)", "OfstedRating (name)",
           "OfstedLastInsp", "SchoolWebsite", "TelephoneNum", "HeadFirstName", "HeadLastName"]


def write_file(path: Path, rows: int) -> None:
    rng = random.Random(7)
    kinds = [("Community school", "Primary"), ("Academy converter", "Secondary"), ("Foundation special school",
             "Not applicable"), ("Voluntary aided school", "Primary"), ("Academy sponsor led", "All-through")]
    with path.open("w", encoding="cp1252", newline="") as handle:
        writer = csv.writer(handle, quoting=csv.QUOTE_ALL, lineterminator="\r\n")
        writer.writerow(COLUMNS)
        for i in range(rows):
            kind, phase = kinds[i % len(kinds)]
            writer.writerow([
                100000 + i, 800 + i % 150, "Cumberland", 2000 + i, f"St Æthelwold’s School {i}", kind,
                "Academies" if "Academy" in kind else "Local authority maintained schools", "Open", phase,
                4, 11, "No boarders", "Mixed", "North West", "Keswick", f"CA{i % 99} {i % 9}AB",
                "(England/Wales) Rural village", rng.randint(20, 1800),
                "SUPP" if i % 17 == 0 else f"{rng.uniform(0, 70):.1f}", "Fells Trust" if "Academy" in kind else "",
                "Good", "04-10-2022", "https://example.invalid", "01234 567890", "Ann", "Example",
            ])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rows", type=int, default=30_000)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        csv_file = Path(folder) / "edubasealldata.csv"
        write_file(csv_file, args.rows)
        start = time.perf_counter()
        parsed = sum(1 for _ in csv.DictReader(io.StringIO(csv_file.read_bytes().decode("cp1252"), newline="")))
        reference = time.perf_counter() - start
        app = create_app({"COMMONS_INSTANCE_PATH": str(Path(folder) / "instance")})
        timings = []
        with app.app_context():
            upgrade(db.engine)
            for _ in range(2):
                start = time.perf_counter()
                result = import_schools(db.session, csv_file)
                db.session.commit()
                timings.append((time.perf_counter() - start, result))
            db.engine.dispose()
    print(f"rows: {parsed:,}")
    print(f"reference, csv.DictReader alone: {reference:.2f} s")
    for label, (seconds, result) in zip(("first import", "re-import"), timings, strict=True):
        print(f"{label}: {seconds:.2f} s ({result.created:,} added, {result.updated:,} updated), "
              f"{seconds / reference:.1f}x the reference, {parsed / seconds:,.0f} rows/s")


if __name__ == "__main__":
    main()
