"""Where test code lives (issue 11): helpers in tests/helpers/, fixtures in each folder's
conftest.py, and no test module or benchmark importing another's internals."""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
TESTS = ROOT / "tests"
HELPERS = TESTS / "helpers"


def imported_modules(path: Path) -> set[str]:
    modules: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            modules.add(node.module)
        elif isinstance(node, ast.Import):
            modules.update(alias.name for alias in node.names)
    return modules


def test_it_keeps_every_helper_module_in_tests_helpers():
    allowed = {"conftest.py", "__init__.py"}
    strays = [
        str(path.relative_to(ROOT))
        for path in TESTS.rglob("*.py")
        if HELPERS not in path.parents and path.name not in allowed and not path.name.startswith("test_")
    ]
    assert strays == []


def test_it_defines_no_fixture_in_the_helpers():
    offenders = [
        str(path.relative_to(ROOT)) for path in HELPERS.rglob("*.py") if "pytest.fixture" in path.read_text()
    ]
    assert offenders == []


def test_it_imports_nothing_from_a_conftest_or_a_test_module():
    offenders = sorted(
        f"{path.relative_to(ROOT)}: {module}"
        for path in TESTS.rglob("*.py")
        for module in imported_modules(path)
        if module.startswith("tests.") and (module.endswith(".conftest") or ".test_" in module)
    )
    assert offenders == []


def test_it_keeps_the_benchmarks_off_the_tests():
    offenders = sorted(
        f"{path.relative_to(ROOT)}: {module}"
        for path in (ROOT / "bench").rglob("*.py")
        for module in imported_modules(path)
        if module == "tests" or module.startswith("tests.")
    )
    assert offenders == []
