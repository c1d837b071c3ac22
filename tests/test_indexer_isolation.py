"""The search library must not depend on the application or its web and database stack.

It must not know the application either (no ``COMMONS_*`` setting, no ``commons`` command,
no folder named after it), and its modules import each other one way only: no cycles.
"""

import ast
import re
import subprocess
import sys
from pathlib import Path

INDEXER = Path(__file__).resolve().parent.parent / "indexer"
FORBIDDEN = ("flask", "sqlalchemy", "commons", "alembic", "werkzeug", "jinja2")
APP_COMMANDS = (
    "reindex", "setup", "serve", "doctor", "backup", "restore", "search", "import", "export",
    "schools", "users", "db-upgrade", "eval",
)
NAMES_THE_APP = re.compile(
    r"COMMONS_|school-improvement-commons|`commons \w|\bcommons (?:" + "|".join(APP_COMMANDS) + r")\b"
)


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


def test_the_library_names_no_setting_command_or_folder_of_the_application() -> None:
    offenders = []
    for path in sorted(INDEXER.rglob("*.py")):
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
            offenders += [f"{path.name}:{number}: {match}" for match in NAMES_THE_APP.findall(line)]
    assert offenders == []


def _module_name(path: Path) -> str:
    parts = path.relative_to(INDEXER.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _library_imports(path: Path, modules: set[str]) -> set[str]:
    """The library modules a file imports anywhere in it (in functions and TYPE_CHECKING blocks too).

    ``from indexer import x`` imports the module ``indexer.x`` when there is one, else the
    package itself (its ``__init__``). A module importing ``indexer.x`` is not counted as
    importing the package ``indexer``: that is how Python finds ``x``, not a dependency.
    """
    name = _module_name(path)
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    imported: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), filename=str(path))):
        if isinstance(node, ast.Import):
            imported.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.split(".")[: len(package.split(".")) - node.level + 1]
                base = ".".join([*anchor, base] if base else anchor)
            for alias in node.names:
                submodule = f"{base}.{alias.name}"
                imported.add(submodule if submodule in modules else base)
    return {m for m in imported if m in modules and m != name}


def _a_cycle(graph: dict[str, set[str]]) -> list[str] | None:
    """One import cycle as a path of modules (first and last the same), or None."""
    state: dict[str, str] = {}
    stack: list[str] = []

    def visit(module: str) -> list[str] | None:
        state[module] = "open"
        stack.append(module)
        for imported in sorted(graph[module]):
            if state.get(imported) == "open":
                return [*stack[stack.index(imported):], imported]
            if imported not in state and (found := visit(imported)) is not None:
                return found
        stack.pop()
        state[module] = "done"
        return None

    for module in sorted(graph):
        if module not in state and (found := visit(module)) is not None:
            return found
    return None


def test_the_library_has_no_import_cycle() -> None:
    paths = {_module_name(path): path for path in sorted(INDEXER.rglob("*.py"))}
    graph = {name: _library_imports(path, set(paths)) for name, path in paths.items()}
    assert graph["indexer.embedding"], "the import graph was read (embedding imports other modules)"
    assert _a_cycle(graph) is None
    assert graph["indexer.types"] == graph["indexer.errors"] == set()  # the bottom layer: any module may import it


def test_the_cycle_check_finds_a_cycle() -> None:
    assert _a_cycle({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": set()}) == ["a", "b", "c", "a"]
    assert _a_cycle({"a": {"b"}, "b": set()}) is None
