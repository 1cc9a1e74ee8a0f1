"""Headless Chromium (Debian's ``chromium``) driven over the DevTools protocol on a pipe.

``--remote-debugging-pipe`` makes Chromium read protocol commands from file descriptor 3 and
answer on 4, each message ending in a NUL byte: no debugging port to secure or collide on, and
no client package needed. Tests use it to look at the page as a visitor's browser renders it:
what is visible, what was loaded, and a screenshot.
"""
import base64
import json
import os
import select
import shutil
import subprocess
import tempfile
import time
from pathlib import Path
from types import TracebackType
from typing import Any

# As root Chromium needs --no-sandbox; the rest keeps it from reaching out on its own.
FLAGS = ("--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
         "--disable-background-networking", "--disable-component-update", "--disable-sync",
         "--remote-debugging-pipe")


class BrowserError(RuntimeError):
    """Chromium is missing, ended, or answered a command with an error."""


class Chromium:
    """``with Chromium() as browser:`` a fresh headless browser with an empty profile."""

    def __init__(self, width: int = 1000, height: int = 760) -> None:
        executable = shutil.which("chromium")
        if executable is None:
            raise BrowserError("chromium is not installed: "
                               "apt-get install -y --no-install-recommends chromium")
        self.profile = Path(tempfile.mkdtemp(prefix="chromium-profile-"))
        self.command = [executable, *FLAGS, f"--user-data-dir={self.profile}",
                        f"--window-size={width},{height}", "about:blank"]
        self.last_id = 0
        self.pending = b""
        self.process: subprocess.Popen[bytes] | None = None

    def __enter__(self) -> "Chromium":
        to_browser, self.commands = os.pipe()
        self.answers, from_browser = os.pipe()

        def give_pipes() -> None:  # in the child: our pipe ends become its fds 3 and 4
            read_end, write_end = os.dup(to_browser), os.dup(from_browser)
            os.dup2(read_end, 3)
            os.dup2(write_end, 4)

        # Python's own descriptors are not inheritable (PEP 446): only 3 and 4 are passed on.
        self.process = subprocess.Popen(self.command, close_fds=False, preexec_fn=give_pipes,
                                        stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                                        stderr=subprocess.DEVNULL)
        os.close(to_browser)
        os.close(from_browser)
        return self

    def __exit__(self, kind: type[BaseException] | None, error: BaseException | None,
                 traceback: TracebackType | None) -> None:
        try:
            if self.process is not None and self.process.poll() is None:
                self.call("Browser.close", timeout=10)
                self.process.wait(10)
        except (BrowserError, subprocess.TimeoutExpired, OSError):
            pass
        finally:
            if self.process is not None and self.process.poll() is None:
                self.process.kill()
                self.process.wait()
            os.close(self.commands)
            os.close(self.answers)
            shutil.rmtree(self.profile, ignore_errors=True)

    def call(self, method: str, params: dict[str, Any] | None = None,
             session: str | None = None, timeout: float = 30) -> dict[str, Any]:
        """Send one command and return its result (events in between are skipped)."""
        self.last_id += 1
        message: dict[str, Any] = {"id": self.last_id, "method": method, "params": params or {}}
        if session is not None:
            message["sessionId"] = session
        os.write(self.commands, json.dumps(message).encode() + b"\0")
        deadline = time.monotonic() + timeout
        while True:
            answer = json.loads(self.next_message(deadline))
            if answer.get("id") != self.last_id:
                continue
            if "error" in answer:
                raise BrowserError(f"{method}: {answer['error']}")
            result: dict[str, Any] = answer["result"]
            return result

    def next_message(self, deadline: float) -> bytes:
        while b"\0" not in self.pending:
            remaining = deadline - time.monotonic()
            if remaining <= 0 or not select.select([self.answers], [], [], remaining)[0]:
                raise BrowserError("chromium did not answer in time")
            chunk = os.read(self.answers, 1 << 16)
            if not chunk:
                raise BrowserError("chromium ended")
            self.pending += chunk
        message, self.pending = self.pending.split(b"\0", 1)
        return message

    def open(self, url: str, timeout: float = 30) -> str:
        """A new tab loading ``url``; returns its session once the page has loaded."""
        target = self.call("Target.createTarget", {"url": url})["targetId"]
        session: str = self.call("Target.attachToTarget",
                                 {"targetId": target, "flatten": True})["sessionId"]
        deadline = time.monotonic() + timeout
        while self.evaluate(session, "document.readyState") != "complete":
            if time.monotonic() > deadline:
                raise BrowserError(f"{url} did not finish loading")
            time.sleep(0.05)
        return session

    def evaluate(self, session: str, expression: str) -> Any:
        """The value of a JavaScript expression in the page."""
        result = self.call("Runtime.evaluate", {"expression": expression,
                                                "returnByValue": True}, session)
        if "exceptionDetails" in result:
            raise BrowserError(f"{expression!r} failed: {result['exceptionDetails']}")
        return result["result"].get("value")

    def screenshot(self, session: str, path: Path) -> None:
        """A PNG of what the tab shows."""
        data = self.call("Page.captureScreenshot", {"format": "png"}, session)["data"]
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(base64.b64decode(data))
