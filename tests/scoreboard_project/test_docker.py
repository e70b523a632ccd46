"""The container setup (no Docker engine here: the files themselves): migrations run once, as
their own compose service that every web container waits for, and never on a replica's start."""

from __future__ import annotations

import json
import re
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[2]


def compose() -> dict:
    return yaml.safe_load((ROOT / "docker-compose.yml").read_text())


def test_it_migrates_in_a_one_shot_service_of_the_web_image():
    services = compose()["services"]
    migrate = services["migrate"]

    assert migrate["command"] == ["python", "manage.py", "migrate", "--noinput"]
    assert migrate["build"] == "."
    assert migrate["image"] == services["web"]["image"]
    assert migrate["environment"] == services["web"]["environment"]  # the same database and secrets
    assert migrate.get("restart", "no") == "no"
    assert migrate["depends_on"]["db"]["condition"] == "service_healthy"


def test_it_starts_every_web_service_after_the_migrations_succeeded():
    services = compose()["services"]
    image = services["migrate"]["image"]
    web_services = [
        name for name, service in services.items() if service.get("image") == image and name != "migrate"
    ]

    assert web_services == ["web"]
    for name in web_services:
        assert services[name]["depends_on"]["migrate"] == {"condition": "service_completed_successfully"}
        assert "migrate" not in json.dumps(services[name].get("command", ""))
        assert services[name].get("pull_policy") == "never"  # the image built here, never a registry's


def test_it_serves_without_migrating_when_the_image_starts():
    dockerfile = (ROOT / "Dockerfile").read_text()
    instructions = [line for line in dockerfile.splitlines() if re.match(r"(CMD|ENTRYPOINT)\b", line)]

    assert len(instructions) == 1 and instructions[0].startswith("CMD [")
    command = json.loads(instructions[0].removeprefix("CMD "))
    assert command[0] == "daphne" and command[-1] == "scoreboard_project.asgi:application"
    assert not any("migrate" in part for part in command)
