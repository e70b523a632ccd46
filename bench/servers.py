"""Processes of the production shape: app servers (daphne, uvicorn, gunicorn) and nginx in front.

``make serve`` (``bench/serve.py``) and ``make bench`` start the same ``Shape``: two daphne
processes serving the whole ASGI application (HTTP through the WSGI thread pool, WebSockets,
SSE) behind nginx at one address. Every process runs in its own process group and is
stopped (SIGTERM, then SIGKILL) by ``stop()``, which the context managers always call.
"""

from __future__ import annotations

import json
import os
import re
import resource
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from types import TracebackType

import httpx

from scoreboard_project.errors import (
    ApplicationError,
    InternalError,
    MethodNotAllowed,
    NotFound,
    PayloadTooLarge,
    ServiceUnavailable,
    ValidationFailed,
    error_body,
)

ROOT = Path(__file__).resolve().parents[1]
HOST = "127.0.0.1"
BIN = Path(sys.executable).parent
BACKLOG = 4096  # listen queue of the app processes and nginx (net.core.somaxconn caps it)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind((HOST, 0))
        return sock.getsockname()[1]


class Server:
    """One process on ``port``; its own process group, so a Ctrl-C of the caller reaches us first."""

    kind = "process"

    def __init__(
        self,
        env: dict[str, str],
        *,
        port: int | None = None,
        name: str = "",
        log: Path | None = None,
        inherit_output: bool = False,
    ) -> None:
        """``log``: a file for the process' output; else ``inherit_output`` writes it where
        ours goes (``make serve``: the logs and tracebacks of a production process), and
        without either it is dropped (a bench run that keeps no logs)."""
        self.env, self.port, self.log = env, port or free_port(), log
        self.inherit_output = inherit_output
        self.name = name or f"{self.kind}:{self.port}"
        self.process: subprocess.Popen | None = None

    @property
    def http(self) -> str:
        return f"http://{HOST}:{self.port}"

    @property
    def ws(self) -> str:
        return f"ws://{HOST}:{self.port}"

    @property
    def pid(self) -> int | None:
        return self.process.pid if self.process else None

    def pids(self) -> list[int]:
        """The process and its children (gunicorn's workers, nginx's)."""
        if self.pid is None:
            return []
        children = Path(f"/proc/{self.pid}/task/{self.pid}/children")
        return (
            [self.pid, *(int(p) for p in children.read_text().split())] if children.exists() else [self.pid]
        )

    def command(self) -> list[str]:
        raise NotImplementedError

    def start(self) -> Server:
        if self.log:
            output = open(self.log, "ab")  # noqa: SIM115 - closed below, once the child holds it
        else:
            output = None if self.inherit_output else subprocess.DEVNULL
        try:
            self.process = subprocess.Popen(
                self.command(),
                cwd=ROOT,
                env=self.env,
                stdout=output,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        finally:
            if self.log:
                output.close()
        return self

    def wait_ready(self, path: str = "/healthz", timeout: float = 60.0) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process is None or self.process.poll() is not None:
                raise RuntimeError(f"{self.name} exited early (log: {self.log})")
            try:
                if httpx.get(f"{self.http}{path}", timeout=1, trust_env=False).status_code == 200:
                    return
            except httpx.HTTPError:
                pass
            time.sleep(0.1)
        raise RuntimeError(f"{self.name} not ready in {timeout:.0f} s (log: {self.log})")

    def stop(self) -> None:
        if self.process is None or self.process.poll() is not None:
            return
        try:
            os.killpg(self.process.pid, signal.SIGTERM)
            self.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait(timeout=10)
        except ProcessLookupError:
            pass


class Daphne(Server):
    kind = "daphne"

    def command(self) -> list[str]:
        # twisted listens with a backlog of 50: a connection storm (1,000 sockets a second
        # through the proxy) overflows it while the process is busy, and the kernel drops SYNs.
        # A handshake not answered within --websocket_connect_timeout (daphne: 5 s) is dropped
        # without a response. Behind nginx, which forwards only whole request headers, only
        # this process's own backlog can make it slow: under a storm, wait rather than drop.
        return [
            str(BIN / "daphne"),
            "-v",
            "0",
            "-e",
            f"tcp:port={self.port}:interface={HOST}:backlog={BACKLOG}",
            "--websocket_connect_timeout",
            "20",
            "--application-close-timeout",
            "5",
            "scoreboard_project.asgi:application",
        ]


class Uvicorn(Server):
    kind = "uvicorn"

    def command(self) -> list[str]:
        return [
            str(BIN / "uvicorn"),
            "scoreboard_project.asgi:application",
            "--host",
            HOST,
            "--port",
            str(self.port),
            "--no-access-log",
            "--log-level",
            "warning",
            "--ws-ping-interval",
            "20",
        ]


class Gunicorn(Server):
    """Django's WSGI application under gunicorn's threaded worker (HTTP only)."""

    kind = "gunicorn"

    def __init__(self, env: dict[str, str], *, threads: int = 8, **kwargs) -> None:
        super().__init__(env, **kwargs)
        self.threads = threads

    def command(self) -> list[str]:
        return [
            str(BIN / "gunicorn"),
            "scoreboard_project.wsgi:application",
            "-b",
            f"{HOST}:{self.port}",
            "-k",
            "gthread",
            "--threads",
            str(self.threads),
            "-w",
            "1",
            "--log-level",
            "warning",
        ]


def _open_files_allowed(wanted: int) -> int:
    """``wanted``, or less when this machine's hard limit is lower (nginx could not raise
    its workers' limit past it, and says so in an alert at every start)."""
    hard = resource.getrlimit(resource.RLIMIT_NOFILE)[1]
    return wanted if hard == resource.RLIM_INFINITY else min(wanted, hard)


def _envelope(error: type[ApplicationError]) -> str:
    """The error envelope of ``error`` as nginx's ``return`` writes it (no quote or ``$``)."""
    body = json.dumps(error_body(error.code, error.message))
    assert "'" not in body and "$" not in body, body
    return body


def nginx_binary() -> str | None:
    return shutil.which("nginx") or next((p for p in ("/usr/sbin/nginx",) if Path(p).exists()), None)


NGINX_CONF = """\
# Sample reverse proxy of the production shape (written by bench/servers.py; see docs/deployment.md).
{user}worker_processes {workers};
worker_rlimit_nofile {files};
pid {run}/nginx.pid;
error_log stderr warn;
daemon off;
events {{ worker_connections {connections}; }}
http {{
{access_log}
    client_body_temp_path {run}/body; proxy_temp_path {run}/proxy; fastcgi_temp_path {run}/fastcgi;
    uwsgi_temp_path {run}/uwsgi; scgi_temp_path {run}/scgi;
    # The application's limit, enforced here first: a larger body is refused by nginx (413,
    # the same envelope) instead of being sent to an app process that answers 413 and closes
    # while nginx still writes, which nginx takes for a failed upstream (502; tried on a
    # shape with 1m: a 100 KB body did it once).
    client_max_body_size 64k;
    upstream app {{
{servers}
        keepalive 64;
    }}
    upstream sockets {{
        least_conn;
{servers}
    }}
    server {{
        listen {listen} backlog=4096;
        proxy_http_version 1.1;
        # What nginx answers itself (a malformed request, a body over the limit, no app
        # process to take the request) carries the application's error envelope too; the
        # app processes' own answers pass through untouched (proxy_intercept_errors off).
        # Pages by URI, not named locations: nginx cannot redirect a request whose URI it
        # refused (a NUL) to a named location, and answers that with an HTML 500.
        error_page 400 414 494 =400 /__proxy/malformed;
        error_page 404 /__proxy/not-found;
        error_page 405 /__proxy/not-allowed;
        error_page 413 /__proxy/too-large;
        error_page 500 /__proxy/failed;
        error_page 502 503 504 =503 /__proxy/unavailable;
        location = /__proxy/malformed {{ internal; default_type application/json; return 400 '{malformed}'; }}
        location = /__proxy/not-found {{ internal; default_type application/json; return 404 '{not_found}'; }}
        location = /__proxy/not-allowed {{ internal; default_type application/json; return 405 '{not_allowed}'; }}
        location = /__proxy/too-large {{ internal; default_type application/json; return 413 '{too_large}'; }}
        location = /__proxy/failed {{ internal; default_type application/json; return 500 '{failed}'; }}
        location = /__proxy/unavailable {{
            internal;
            default_type application/json;
            add_header Retry-After 5 always;
            return 503 '{unavailable}';
        }}
        # Every location sets all its headers: nginx drops the server's proxy_set_header
        # lines in a location that sets any of its own.
        location /ws/ {{
            proxy_pass http://sockets;
            proxy_set_header Host $host;
            proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;
            proxy_set_header X-Forwarded-Proto $scheme;
            proxy_set_header Upgrade $http_upgrade;
            proxy_set_header Connection "upgrade";
            proxy_read_timeout 1h;
            proxy_buffering off;
        }}
        location = /api/v1/leaderboard/stream {{
            proxy_pass http://app;
            proxy_set_header Host $host;
            proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;
            proxy_set_header X-Forwarded-Proto $scheme;
            proxy_set_header Connection "";
            proxy_buffering off;
            proxy_cache off;
            proxy_read_timeout 1h;
        }}
        location / {{
            proxy_pass http://app;
            proxy_set_header Host $host;
            proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;
            proxy_set_header X-Forwarded-Proto $scheme;
            proxy_set_header Connection "";
        }}
    }}
}}
"""


class Nginx(Server):
    kind = "nginx"

    def __init__(
        self,
        upstreams: list[Server],
        *,
        port: int | None = None,
        listen_host: str = HOST,
        log: Path | None = None,
        post_times: bool = False,
        inherit_output: bool = False,
    ) -> None:
        super().__init__(
            {"PATH": os.environ.get("PATH", "/usr/bin:/bin")},
            port=port,
            name="nginx",
            log=log,
            inherit_output=inherit_output,
        )
        self.upstreams, self.listen_host = upstreams, listen_host
        self.run_dir = Path(tempfile.mkdtemp(prefix="scoreboard-nginx-"))
        self.post_times_log = self.run_dir / "post-times.log" if post_times else None

    def post_times_mark(self) -> int:
        """Where the POST timing log ends now: pass it to ``post_times`` after a phase."""
        log = self.post_times_log
        return log.stat().st_size if log and log.exists() else 0

    def post_times(self, since: int, path: re.Pattern[str]) -> list[float]:
        """The server time (nginx's ``$upstream_response_time``, ms) of each POST to a path
        matching ``path`` logged after ``since``: from nginx handing the request to an app
        process to the end of its answer, the load generator and the proxy left out."""
        if not self.post_times_log or not self.post_times_log.exists():
            return []
        with self.post_times_log.open() as log:
            log.seek(since)
            lines = log.read().splitlines()
        times = []
        for line in lines:
            uri, _, upstream = line.partition(" ")
            last = upstream.rsplit(",", 1)[-1].strip()  # a retried request lists each upstream
            if path.fullmatch(uri) and last not in ("", "-"):
                times.append(float(last) * 1000)
        return times

    def config(self) -> str:
        servers = "\n".join(f"        server {HOST}:{u.port};" for u in self.upstreams)
        # Started by root (a container), nginx would run its workers as "nobody", who cannot
        # write this private run directory: they run as the caller instead.
        user = "user root;\n" if os.geteuid() == 0 else ""
        # A proxied socket holds two connections, and one worker may accept most of a storm:
        # each worker can hold 12,000 sockets (24,000 connections) by itself.
        access_log = "    access_log off;"
        if self.post_times_log:  # the bench's: POSTs only, so the read phases pay nothing for it
            access_log = (
                "    log_format post_time '$uri $upstream_response_time';\n"
                "    map $request_method $is_post { POST 1; default 0; }\n"
                f"    access_log {self.post_times_log} post_time if=$is_post;"
            )
        files = _open_files_allowed(50000)
        return NGINX_CONF.format(
            malformed=_envelope(ValidationFailed),
            not_found=_envelope(NotFound),
            not_allowed=_envelope(MethodNotAllowed),
            too_large=_envelope(PayloadTooLarge),
            failed=_envelope(InternalError),
            unavailable=_envelope(ServiceUnavailable),
            access_log=access_log,
            user=user,
            workers=2,
            files=files,
            connections=min(24000, files),
            run=self.run_dir,
            servers=servers,
            listen=f"{self.listen_host}:{self.port}",
        )

    def command(self) -> list[str]:
        binary = nginx_binary()
        if binary is None:
            raise RuntimeError("nginx is not installed (make serve installs it: apt-get install nginx-light)")
        conf = self.run_dir / "nginx.conf"
        conf.write_text(self.config())
        # Errors on stderr: into the bench's log file, or make serve's own output.
        return [binary, "-p", str(self.run_dir), "-c", str(conf), "-e", "stderr"]

    def stop(self) -> None:
        super().stop()
        shutil.rmtree(self.run_dir, ignore_errors=True)


class Shape:
    """The production shape: ``processes`` daphne processes behind nginx on ``port``."""

    def __init__(
        self,
        env: dict[str, str],
        *,
        port: int | None = None,
        processes: int = 2,
        log_dir: Path | None = None,
        server: type[Server] = Daphne,
        listen_host: str = HOST,
        post_times: bool = False,
        inherit_output: bool = False,
    ) -> None:
        """``log_dir``: one log file per process; else ``inherit_output``: their output on ours."""

        def log(name: str) -> Path | None:
            return log_dir / f"{name}.log" if log_dir else None

        if log_dir:
            log_dir.mkdir(parents=True, exist_ok=True)
        # /metrics sums every app process (prometheus_client's multiprocess mode): one fresh
        # directory per run, shared by the processes, removed when the shape stops.
        self.metrics_dir = Path(tempfile.mkdtemp(prefix="scoreboard-metrics-"))
        env = {**env, "PROMETHEUS_MULTIPROC_DIR": str(self.metrics_dir)}
        names = [chr(ord("A") + i) for i in range(processes)]
        self.apps = [
            server(env, name=n, log=log(f"{server.kind}-{n}"), inherit_output=inherit_output) for n in names
        ]
        self.proxy = Nginx(
            self.apps,
            port=port,
            listen_host=listen_host,
            log=log("nginx"),
            post_times=post_times,
            inherit_output=inherit_output,
        )

    @property
    def http(self) -> str:
        return self.proxy.http

    @property
    def ws(self) -> str:
        return self.proxy.ws

    def pids(self) -> dict[str, list[int]]:
        found = {app.name: app.pids() for app in self.apps}
        found["nginx"] = self.proxy.pids()
        return found

    def __enter__(self) -> Shape:
        try:
            for app in self.apps:
                app.start()  # all boot at once
            for app in self.apps:
                app.wait_ready(path="/readyz")
            self.proxy.start()
            self.proxy.wait_ready(path="/healthz", timeout=15)
        except BaseException:
            self.stop()
            raise
        return self

    def __exit__(
        self, kind: type[BaseException] | None, error: BaseException | None, trace: TracebackType | None
    ) -> None:
        self.stop()

    def stop(self) -> None:
        self.proxy.stop()
        for app in self.apps:
            app.stop()
        shutil.rmtree(self.metrics_dir, ignore_errors=True)
