"""``make serve``: the production shape on this machine, at one address, until Ctrl-C.

nginx on ``PORT`` (default 8080; ``HOST``, default 127.0.0.1) in front of ``WEB_PROCESSES``
(default 2) daphne processes, each serving the whole ASGI application: HTTP through
Django's WSGI handler on a persistent thread pool (``WSGI_THREADS``, default 8), the
WebSockets and the SSE stream. nginx routes ``/ws/`` to the socket upstream (Upgrade,
least connections, one-hour reads) and the SSE stream unbuffered. Against PostgreSQL and
Redis from ``DATABASE_URL`` / ``REDIS_URL`` (and every other setting from the
environment, see README). Migrations and static files first; everything stops on Ctrl-C
or SIGTERM. See docs/deployment.md.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench.servers import Shape  # noqa: E402


def main() -> int:
    env = dict(os.environ)
    missing = [name for name in ("DATABASE_URL", "REDIS_URL") if not env.get(name)]
    if missing:
        print(f"make serve runs the production shape: set {', '.join(missing)}", file=sys.stderr)
        return 2
    env.setdefault("TRUSTED_PROXIES", "127.0.0.1")  # nginx is the peer of every request
    port = int(env.get("PORT", "8080"))
    for step in (["migrate", "--noinput"], ["collectstatic", "--noinput", "--verbosity", "0"]):
        subprocess.run([sys.executable, "manage.py", *step], cwd=ROOT, env=env, check=True)
    signal.signal(signal.SIGTERM, signal.default_int_handler)
    try:
        with Shape(
            env,
            port=port,
            processes=int(env.get("WEB_PROCESSES", "2")),
            listen_host=env.get("HOST", "127.0.0.1"),
            inherit_output=True,  # every process' logs and tracebacks on ours
        ) as shape:
            print(
                f"serving on http://{env.get('HOST', '127.0.0.1')}:{port} (nginx) -> "
                + ", ".join(f"daphne {a.name} :{a.port}" for a in shape.apps)
                + "; Ctrl-C stops everything",
                flush=True,
            )
            while all(p.process and p.process.poll() is None for p in (shape.proxy, *shape.apps)):
                time.sleep(0.5)
            print("a process of the shape exited: stopping the others", file=sys.stderr)
            return 1
    except KeyboardInterrupt:
        print("stopped", file=sys.stderr)
        return 0


if __name__ == "__main__":
    sys.exit(main())
