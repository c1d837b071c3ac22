"""The layers hold: the import contracts in pyproject.toml, and no import cycle between any two modules.

``lint-imports`` checks the same contracts from the command line (``.ci/run`` runs it too).
"""

import sys

import grimp
import pytest
from importlinter import configuration
from importlinter.application.use_cases import lint_imports

PACKAGES = ("commons", "indexer")


def test_the_import_contracts_are_kept() -> None:
    configuration.configure()
    assert lint_imports() is True, "run `lint-imports` to see which contract is broken and by which import"


def strongly_connected(graph: grimp.ImportGraph) -> list[list[str]]:
    """Tarjan's algorithm over the direct imports (iterative: the graph is a few hundred modules)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    groups: list[list[str]] = []
    counter = 0
    for root in sorted(graph.modules):
        if root in index:
            continue
        work = [(root, iter(sorted(graph.find_modules_directly_imported_by(root))))]
        index[root] = low[root] = counter
        counter += 1
        stack.append(root)
        on_stack.add(root)
        while work:
            node, children = work[-1]
            child = next(children, None)
            if child is not None:
                if child not in graph.modules:
                    continue
                if child not in index:
                    index[child] = low[child] = counter
                    counter += 1
                    stack.append(child)
                    on_stack.add(child)
                    work.append((child, iter(sorted(graph.find_modules_directly_imported_by(child)))))
                elif child in on_stack:
                    low[node] = min(low[node], index[child])
                continue
            work.pop()
            if work:
                parent = work[-1][0]
                low[parent] = min(low[parent], low[node])
            if low[node] == index[node]:
                group = []
                while True:
                    member = stack.pop()
                    on_stack.discard(member)
                    group.append(member)
                    if member == node:
                        break
                if len(group) > 1:
                    groups.append(sorted(group))
    return groups


def test_no_module_imports_another_that_imports_it_back() -> None:
    graph = grimp.build_graph(*PACKAGES, cache_dir=None)
    assert strongly_connected(graph) == []


@pytest.mark.parametrize("package", PACKAGES)
def test_the_cycle_check_finds_a_cycle(tmp_path: pytest.TempPathFactory, package: str) -> None:
    """The check above is not vacuous: two modules that import each other are found."""
    root = tmp_path / f"cyclic_{package}"  # type: ignore[operator]
    root.mkdir()
    (root / "__init__.py").write_text("")
    (root / "a.py").write_text(f"from cyclic_{package} import b\n")
    (root / "b.py").write_text(f"def f() -> None:\n    from cyclic_{package} import a\n")
    sys.path.insert(0, str(tmp_path))
    try:
        graph = grimp.build_graph(f"cyclic_{package}", cache_dir=None)
    finally:
        sys.path.remove(str(tmp_path))
    assert strongly_connected(graph) == [[f"cyclic_{package}.a", f"cyclic_{package}.b"]]


SURFACES = ("commons/web", "commons/api", "commons/cli")
# the only places a surface commits or rolls back itself: the one handler of refusals on each surface, a
# token's last use noted before any use case runs, the mail-limit count kept when registering is refused,
# and the best-effort alerts sent after a response
# (and a restore, which reads the database it rebuilt the index from afresh)
OWN_TRANSACTIONS = {"commons/api/common.py": 2, "commons/web/errors.py": 1, "commons/web/auth.py": 3,
                    "commons/web/follows.py": 2, "commons/cli/operations.py": 1}


def _surface_sources() -> dict[str, str]:
    from pathlib import Path

    root = Path(__file__).resolve().parent.parent
    return {str(path.relative_to(root)): path.read_text(encoding="utf-8")
            for surface in SURFACES for path in sorted((root / surface).glob("*.py"))}


def test_surfaces_write_through_the_transaction_helper_not_their_own_commits() -> None:
    counted = {name: text.count("session.commit()") + text.count("session.rollback()")
               for name, text in _surface_sources().items()}
    assert {name: n for name, n in counted.items() if n} == OWN_TRANSACTIONS, \
        "write `with transaction(session):` (commons/services/transactions.py) around the use cases instead"


def test_no_surface_loads_a_case_study_or_draft_by_itself() -> None:
    """Every page and endpoint asks the shared use cases (``case_studies.visible``, ``case_studies.draft``),
    so a slug or an id is refused alike everywhere (404, 403, 409 or 410)."""
    for name, text in _surface_sources().items():
        for pattern in ("CaseStudy.slug ==", "session.get(Draft", "permissions.can_on_draft("):
            assert pattern not in text, f"{name} loads or checks a case study or draft itself ({pattern})"


def test_no_surface_catches_a_use_case_refusal_to_roll_back_and_show_it() -> None:
    """The old pattern, ``try: service(); commit() except XProblem: rollback(); flash()``: none is left."""
    import re

    old = re.compile(r"except [\w.]*(Problem|Problems|Refused)\b[^\n]*:\n\s+db\.session\.rollback\(\)")
    for name, text in _surface_sources().items():
        assert not old.search(text), f"{name} rolls back a refusal itself"


def shared_runs(width: int = 4, tree: str | None = None) -> list[tuple[str, str, str]]:
    """Every run of ``width`` statement lines written alike in the web and in the API (a flow written twice):
    each as the web's place, the API's place and the lines; of this checkout, or of another ``tree``."""
    from pathlib import Path

    root = Path(tree) if tree else Path(__file__).resolve().parent.parent
    skipped = ("#", '"""', "import ", "from ", "@", ")", "]", "}")

    def runs(folder: str) -> dict[str, str]:
        found: dict[str, str] = {}
        for path in sorted((root / folder).glob("*.py")):
            lines = [(n, line.strip()) for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1)]
            kept = [(n, text) for n, text in lines if len(text) > 12 and not text.startswith(skipped)]
            for start in range(len(kept) - width + 1):
                found.setdefault("\n".join(t for _, t in kept[start:start + width]),
                                 f"{folder}/{path.name}:{kept[start][0]}")
        return found

    web, api = runs("commons/web"), runs("commons/api")
    return [(web[text], api[text], text) for text in web if text in api]


def test_no_flow_is_written_twice_in_the_web_and_the_api() -> None:
    """Both call the shared use cases; ``python -c "from tests.test_architecture import shared_runs;
    print(shared_runs())"`` lists any run of lines written alike in both."""
    assert shared_runs() == []
