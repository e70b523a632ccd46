"""docs/api.md, the guide for client developers, stays in step with the code: every operation
of the OpenAPI schema is in it and every operation it names is served; every error code the
code can answer is listed; and the repository names no file outside itself."""

from __future__ import annotations

import ast
import importlib
import pkgutil
import re
import subprocess
from pathlib import Path

import pytest
from drf_spectacular.generators import SchemaGenerator
from rest_framework.exceptions import APIException

from scoreboard_project import exception_handler
from scoreboard_project.errors import ApplicationError

ROOT = Path(__file__).resolve().parents[2]
GUIDE = ROOT / "docs" / "api.md"
APPS = ("accounts", "actions", "anticheat", "leaderboard", "scoreboard_project")
METHODS = ("get", "put", "patch", "post", "delete")
OPERATION = re.compile(r"`(GET|PUT|PATCH|POST|DELETE) (/[^`?\s]*)")
CODE = re.compile(r"^[A-Z][A-Z0-9]*(?:_[A-Z0-9]+)+$|^[A-Z]{4,}$")
RESPONDERS = {"error_response", "error_body"}  # plain-Django envelope builders: their first argument


def guide_operations() -> set[tuple[str, str]]:
    return {(method.lower(), f"/api/v1{path}") for method, path in OPERATION.findall(GUIDE.read_text())}


@pytest.fixture(scope="module")
def schema_operations() -> set[tuple[str, str]]:
    schema = SchemaGenerator().get_schema(request=None, public=True)
    return {(method, path) for path, item in schema["paths"].items() for method in item if method in METHODS}


def test_it_documents_every_operation_of_the_schema(schema_operations):
    assert sorted(schema_operations - guide_operations()) == []


def test_it_documents_only_operations_the_schema_has(schema_operations):
    assert guide_operations(), "the guide names its endpoints as `METHOD /path`"
    assert sorted(guide_operations() - schema_operations) == []


def _subclasses(base: type) -> set[type]:
    found = set()
    for child in base.__subclasses__():
        found |= {child, *_subclasses(child)}
    return found


def class_codes() -> set[str]:
    """The codes fixed on exception classes: ours, and DRF's as the envelope renames them."""
    for app in APPS:
        package = importlib.import_module(app)
        for module in pkgutil.walk_packages(package.__path__, f"{app}."):
            if ".migrations" not in module.name and ".management" not in module.name:
                importlib.import_module(module.name)
    codes = {cls.code for cls in _subclasses(ApplicationError) | {ApplicationError}}
    for cls in _subclasses(APIException):
        if cls.__module__.split(".")[0] in APPS:
            codes |= {getattr(cls, name, None) for name in ("default_code", "contract_code", "code")}
    codes |= set(exception_handler._DRF_CODES.values())
    return {code for code in codes if isinstance(code, str) and CODE.match(code)}


def literal_codes() -> set[str]:
    """Codes spelled where a response is built: ``error_response("CODE", ...)`` and ``{"code": "CODE"}``."""
    codes = set()
    for app in APPS:
        for path in (ROOT / app).rglob("*.py"):
            if "migrations" in path.parts:
                continue
            for node in ast.walk(ast.parse(path.read_text(), str(path))):
                if isinstance(node, ast.Call) and node.args and getattr(node.func, "id", None) in RESPONDERS:
                    first = node.args[0]
                    if isinstance(first, ast.Constant) and isinstance(first.value, str):
                        codes.add(first.value)
                elif isinstance(node, ast.Dict):
                    for key, value in zip(node.keys, node.values, strict=True):
                        if (
                            isinstance(key, ast.Constant)
                            and key.value == "code"
                            and isinstance(value, ast.Constant)
                            and isinstance(value.value, str)
                        ):
                            codes.add(value.value)
    return {code for code in codes if CODE.match(code)}


def test_it_lists_every_error_code_the_code_can_answer():
    codes = class_codes() | literal_codes()
    listed = set(re.findall(r"`([A-Z][A-Z0-9_]+)`", GUIDE.read_text()))

    assert {"TOKEN_ALREADY_USED", "PAYLOAD_TOO_LARGE", "UNKNOWN_CHANNEL", "METHOD_NOT_ALLOWED"} <= codes
    assert sorted(codes - listed) == []


def test_it_is_linked_from_the_readme():
    assert "(docs/api.md)" in (ROOT / "README.md").read_text()


def test_it_names_no_file_outside_the_repository():
    tracked = subprocess.run(
        ["git", "ls-files"], cwd=ROOT, capture_output=True, text=True, check=True
    ).stdout.split()
    texts = [
        name
        for name in tracked
        if name.endswith((".md", ".py", ".txt", ".toml", ".yml", ".yaml", ".sh", ".html"))
        and name != "tests/scoreboard_project/test_api_guide.py"
    ]
    outside = re.compile(r"shared/API\.md|\.\./shared|/work/shared|(?<![\w/])API\.md")
    offenders = [name for name in texts if outside.search((ROOT / name).read_text(errors="replace"))]
    assert offenders == []
