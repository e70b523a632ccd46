"""``make serve`` shows what its processes write: the app's logs and tracebacks, nginx's errors.

It dropped them (every process' output went to /dev/null unless the bench gave a log file),
so a 500 in the production shape left no traceback anywhere. A bench run without logs still
drops them; a bench run with a log directory writes one file per process.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from bench.servers import Shape

ROOT = Path(__file__).resolve().parents[2]
SCRIPT = """
import sys
from bench.servers import Server

class Talker(Server):
    def command(self):
        code = "import sys; print('app-stdout', flush=True); print('app-stderr', file=sys.stderr, flush=True)"
        return [sys.executable, "-c", code]

talker = Talker({}, inherit_output=sys.argv[1] == "inherit").start()
talker.process.wait(20)
"""


def _output_of_a_server_started(mode: str) -> str:
    done = subprocess.run(
        [sys.executable, "-c", SCRIPT, mode], cwd=ROOT, capture_output=True, text=True, timeout=60, check=True
    )
    return done.stdout + done.stderr


def test_a_server_that_inherits_writes_its_output_on_ours():
    shown = _output_of_a_server_started("inherit")
    assert "app-stdout" in shown and "app-stderr" in shown


def test_a_server_without_a_log_or_inheritance_drops_it():
    shown = _output_of_a_server_started("drop")
    assert "app-stdout" not in shown and "app-stderr" not in shown


def test_the_shape_passes_inheritance_to_every_process_and_nginx_logs_errors_on_stderr():
    shape = Shape({}, processes=2, inherit_output=True)
    try:
        assert [app.inherit_output for app in shape.apps] == [True, True] and shape.proxy.inherit_output
        assert "error_log stderr warn;" in shape.proxy.config()
    finally:
        shape.stop()
