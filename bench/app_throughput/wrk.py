"""Running wrk (Debian package ``wrk``) for a bounded time and reading its figures."""
import re
import shutil
import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path

# Each wrk thread seeds its own generator, or all threads would send the same addresses.
SEEDED_THREADS = """
local threads = 0
function setup(thread)
  threads = threads + 1
  thread:set("id", threads)
end
function init(args)
  math.randomseed(os.time() * 1000 + id)
end
"""
# Every request from a new client, as a trusted proxy would report it (TRUSTED_PROXY_HOPS=1).
NEW_VISITORS_SCRIPT = SEEDED_THREADS + """
function request()
  local address = string.format("172.%d.%d.%d", math.random(16, 31), math.random(0, 255),
                                math.random(1, 254))
  return wrk.format("GET", nil, {["X-Forwarded-For"] = address})
end
"""
# Every request from one of the bulk-loaded visitors (10.0.0.1 ... 10.0.0.0 + rows), so visits
# are updates spread over many rows, the steady state of a site with returning visitors.
RETURNING_VISITORS_TEMPLATE = SEEDED_THREADS + """
function request()
  local n = math.random(1, ROWS)
  local address = string.format("10.%d.%d.%d", math.floor(n / 65536) % 256,
                                math.floor(n / 256) % 256, n % 256)
  return wrk.format("GET", nil, {["X-Forwarded-For"] = address})
end
"""
UNITS = {"us": 1e-3, "ms": 1.0, "s": 1e3, "m": 60e3}


def returning_visitors_script(rows: int) -> str:
    """The returning-visitors script for a table bulk-loaded with ``rows`` visitors."""
    return RETURNING_VISITORS_TEMPLATE.replace("ROWS", str(int(rows)))


@dataclass(frozen=True)
class WrkResult:
    """One run: completed requests, their rate, the 99th percentile latency, failures."""

    requests: int
    requests_per_second: float
    p99_ms: float
    errors: int


def wrk_path() -> str:
    """wrk's path, or a one-line error saying how to install it."""
    path = shutil.which("wrk")
    if path is None:
        raise SystemExit("app_throughput: wrk is not installed: apt-get install -y wrk")
    return path


def parse(output: str) -> WrkResult:
    """The figures of ``wrk --latency`` output."""
    requests = re.search(r"^\s*(\d+) requests in", output, re.MULTILINE)
    rate = re.search(r"^Requests/sec:\s+([\d.]+)", output, re.MULTILINE)
    p99 = re.search(r"^\s+99%\s+([\d.]+)(us|ms|s|m)\s*$", output, re.MULTILINE)
    if requests is None or rate is None or p99 is None:
        raise RuntimeError(f"unexpected wrk output:\n{output}")
    non_2xx = re.search(r"Non-2xx or 3xx responses: (\d+)", output)
    socket = re.search(r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)",
                       output)
    errors = int(non_2xx.group(1)) if non_2xx else 0
    errors += sum(int(count) for count in socket.groups()) if socket else 0
    return WrkResult(requests=int(requests.group(1)), requests_per_second=float(rate.group(1)),
                     p99_ms=float(p99.group(1)) * UNITS[p99.group(2)], errors=errors)


def run_wrk(url: str, seconds: int, connections: int, threads: int,
            script: str | None = None) -> WrkResult:
    """Load ``url`` for ``seconds`` with ``connections`` keep-alive connections."""
    with tempfile.TemporaryDirectory() as workdir:
        command = [wrk_path(), "--latency", f"-d{seconds}s", f"-c{connections}", f"-t{threads}"]
        if script is not None:
            script_path = Path(workdir) / "script.lua"
            script_path.write_text(script)
            command += ["-s", str(script_path)]
        result = subprocess.run([*command, url], capture_output=True, text=True, check=True,
                                timeout=seconds + 60)
    return parse(result.stdout)
