"""The app under gunicorn with its real config (app/gunicorn.conf.py) on 127.0.0.1.

Shared by the benchmark and the tests, so both measure and check what a deploy runs:
several worker processes, prometheus multiprocess metrics, a graceful stop on SIGTERM.
The benchmark also serves other checkouts with the same worker settings: an earlier checkout
of this app with its own config (``root``), the legacy app with none (``checkout``).
"""
import os
import runpy
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from pathlib import Path
from types import TracebackType
from typing import Mapping

from bench.ports import free_port

ROOT = Path(__file__).resolve().parents[2]
CONFIG = Path("app") / "gunicorn.conf.py"  # in a checkout of this app


def default_threads() -> int:
    """Threads per worker as this checkout's config sets them when a deploy does not."""
    return int(runpy.run_path(str(ROOT / CONFIG))["DEFAULT_THREADS"])


class GunicornServer:
    """``with GunicornServer(env, workers=2, threads=4) as server:`` serves the app at
    ``server.url`` in the block."""

    def __init__(self, env: Mapping[str, str], *, workers: int, threads: int,
                 app: str = "app:create_app()", checkout: Path | None = None,
                 root: Path = ROOT) -> None:
        """``root``: the checkout of this app to serve, with its own config (default: this
        one). ``checkout``: serve that directory's WSGI ``app`` instead, a foreign app, with the
        same worker settings given on the command line (its own config is not ours)."""
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.workdir = Path(tempfile.mkdtemp(prefix="gunicorn-"))
        self.log_path = self.workdir / "gunicorn.log"
        metrics_dir = self.workdir / "metrics"
        metrics_dir.mkdir()
        self.env = {**os.environ, **env, "GUNICORN_BIND": f"127.0.0.1:{self.port}",
                    "GUNICORN_WORKERS": str(workers), "GUNICORN_THREADS": str(threads),
                    "GUNICORN_GRACEFUL_TIMEOUT": "10",
                    "PROMETHEUS_MULTIPROC_DIR": str(metrics_dir)}
        self.process: subprocess.Popen[bytes] | None = None
        self.final_log: str | None = None
        self.cwd = checkout or root
        self.command = [sys.executable, "-m", "gunicorn", "-c", str(root / CONFIG), app]
        if checkout is not None:
            self.command = [sys.executable, "-m", "gunicorn", "--chdir", str(checkout),
                            "--worker-class", "gthread", "--workers", str(workers),
                            "--threads", str(threads), "--bind", f"127.0.0.1:{self.port}", app]
            # Without our config, gunicorn 25.1+ opens its control socket here (removed with
            # the working directory), not in $HOME/.gunicorn; older ones have none, and no flag.
            self.env["XDG_RUNTIME_DIR"] = str(self.workdir)

    def start(self, timeout: float = 30) -> "GunicornServer":
        """Start gunicorn and return once it answers HTTP; stopped again if it does not."""
        with self.log_path.open("wb") as log:
            self.process = subprocess.Popen(
                self.command, cwd=self.cwd, env=self.env, stdout=log, stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL)
        try:
            self.wait_until_serving(self.process, timeout)
        except BaseException:
            self.stop()
            raise
        return self

    def wait_until_serving(self, process: "subprocess.Popen[bytes]", timeout: float) -> None:
        """Until ``/healthz`` (or any HTTP answer, for an app without it) comes back."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if process.poll() is not None:
                raise RuntimeError(f"gunicorn exited with {process.returncode}: {self.log()}")
            try:
                with urllib.request.urlopen(f"{self.url}/healthz", timeout=2):
                    return
            except urllib.error.HTTPError:  # an app without /healthz: serving all the same
                return
            except OSError:  # not listening yet, or too slow to answer (URLError is one too)
                time.sleep(0.1)
        raise RuntimeError(f"gunicorn did not answer within {timeout} s: {self.log()}")

    def log(self) -> str:
        """What gunicorn printed so far (access log and errors), also after ``stop()``."""
        if self.final_log is not None:
            return self.final_log
        return self.log_path.read_text(errors="replace")

    def stop(self, timeout: float = 20) -> int:
        """Graceful stop (SIGTERM, as Docker sends), then remove the working directory (its
        log is kept in memory); returns gunicorn's exit code."""
        if self.process is not None and self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        if self.final_log is None and self.workdir.exists():
            self.final_log = self.log()
            shutil.rmtree(self.workdir, ignore_errors=True)
        return 0 if self.process is None else self.process.returncode

    def __enter__(self) -> "GunicornServer":
        return self.start()

    def __exit__(self, kind: type[BaseException] | None, error: BaseException | None,
                 traceback: TracebackType | None) -> None:
        self.stop()
