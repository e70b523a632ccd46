"""No import cycle between the apps or inside one (``scripts/import_graph.py`` draws the graph)."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import pytest

SCRIPT = Path(__file__).resolve().parents[2] / "scripts" / "import_graph.py"


@pytest.fixture(scope="module")
def graph_tool():
    """The script, loaded from its file (``scripts/`` is not a package)."""
    spec = importlib.util.spec_from_file_location("import_graph", SCRIPT)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_it_finds_no_cycle_between_the_apps(graph_tool):
    assert graph_tool.cycles(graph_tool.app_graph(graph_tool.module_graph())) == []


def test_it_finds_no_cycle_inside_an_app(graph_tool):
    assert graph_tool.cycles(graph_tool.module_graph()) == []


def test_nothing_imports_the_project_entry_points(graph_tool):
    assert graph_tool.entry_point_importers(graph_tool.module_graph()) == []


def test_it_counts_a_deferred_import_and_finds_the_cycle_it_makes(graph_tool, tmp_path):
    app = tmp_path / "leaderboard"
    app.mkdir()
    (app / "__init__.py").write_text("")
    (app / "ranking.py").write_text("from . import broadcast\n")
    (app / "broadcast.py").write_text("def send():\n    from .ranking import read  # at call time\n")
    graph = graph_tool.module_graph(tmp_path)
    assert graph["leaderboard.broadcast"] == {"leaderboard.ranking"}
    assert graph_tool.cycles(graph) == [["leaderboard.broadcast", "leaderboard.ranking"]]


def test_it_counts_importing_a_submodule_as_importing_its_package(graph_tool, tmp_path):
    for app in ("accounts", "anticheat"):
        (tmp_path / app).mkdir()
    (tmp_path / "accounts" / "__init__.py").write_text("from anticheat import audit\n")
    (tmp_path / "anticheat" / "__init__.py").write_text("")
    (tmp_path / "anticheat" / "audit.py").write_text("from accounts.models import User\n")
    (tmp_path / "accounts" / "models.py").write_text("")
    graph = graph_tool.module_graph(tmp_path)
    assert "accounts" in graph["anticheat.audit"]  # accounts.models runs accounts/__init__.py first
    assert graph_tool.cycles(graph_tool.app_graph(graph)) == [["accounts", "anticheat"]]
