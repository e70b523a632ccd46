"""The app process moves what start-up built out of the collector's reach (``asgi.py``)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
PROBE = (
    "import gc, django.urls; "
    "import scoreboard_project.asgi; "
    "import leaderboard.boards.views; "  # a view module: imported before the freeze, by the URL conf
    "print(gc.get_freeze_count(), len(gc.get_objects()))"
)


def test_it_freezes_the_start_up_objects_views_included():
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "scoreboard_project.settings"}
    done = subprocess.run(
        [sys.executable, "-c", PROBE], cwd=ROOT, env=env, capture_output=True, text=True, timeout=60
    )
    assert done.returncode == 0, done.stderr[-2000:]
    frozen, tracked = (int(n) for n in done.stdout.split()[-2:])
    # Tens of thousands of objects frozen; the collector tracks only what came after.
    assert frozen > 20_000 and tracked < frozen / 4, (frozen, tracked)
