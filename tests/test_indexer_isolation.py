"""The search library must not depend on the application or its web and database stack."""

import ast
import subprocess
import sys
from pathlib import Path

INDEXER = Path(__file__).resolve().parent.parent / "indexer"
FORBIDDEN = ("flask", "sqlalchemy", "commons", "alembic", "werkzeug", "jinja2")


def test_no_forbidden_import_statement_in_indexer() -> None:
    offenders = []
    for path in sorted(INDEXER.rglob("*.py")):
        tree = ast.parse(path.read_text(), filename=str(path))
        for node in ast.walk(tree):
            names: list[str] = []
            if isinstance(node, ast.Import):
                names = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom) and node.module:
                names = [node.module]
            offenders += [f"{path.name}: {n}" for n in names if n.split(".")[0] in FORBIDDEN]
    assert offenders == []


def test_importing_indexer_loads_no_web_or_database_module() -> None:
    code = (
        "import sys, indexer, indexer.sync, indexer.vector_index, indexer.chunking\n"
        f"bad = sorted(m for m in sys.modules if m.split('.')[0] in {FORBIDDEN!r})\n"
        "print(','.join(bad))\n"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert result.stdout.strip() == ""
