"""A tool the pipeline runs ends with it: stopped (SIGTERM, as Jenkins aborts a build), the
pipeline stops the tool and all it started, and waits, before anything else happens (a
deploy then frees its lock: no playbook may still be switching hosts)."""
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[3]
# The pipeline's own way of meeting SIGTERM (pipeline/ship/deploy.py): an exception.
PARENT = """
import signal, sys
from pipeline.core import proc

def stop(signum, frame):
    raise SystemExit(143)

signal.signal(signal.SIGTERM, stop)
# The tool starts a grandchild that ignores SIGTERM, as a worker busy on a host may.
proc.run([sys.executable, "-c", "import os, signal, subprocess, sys, time; "
          "child = subprocess.Popen([sys.executable, '-c', 'import signal, time; "
          "signal.signal(signal.SIGTERM, signal.SIG_IGN); time.sleep(120)']); "
          "open(sys.argv[1], 'w').write(f'{os.getpid()} {child.pid}'); time.sleep(120)",
          sys.argv[1]])
"""


def alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    # A zombie is gone for our purpose: it runs nothing.
    with open(f"/proc/{pid}/stat", encoding="utf-8") as stat:
        return stat.read().split(") ")[1][0] != "Z"


def test_a_stopped_pipeline_stops_its_tool_and_what_the_tool_started(tmp_path: Path) -> None:
    log = tmp_path / "pids"
    parent = subprocess.Popen([sys.executable, "-c", PARENT, str(log)], cwd=REPO_ROOT,
                              stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    deadline = time.monotonic() + 30
    while not log.exists() or not log.read_text(encoding="utf-8").strip():
        assert time.monotonic() < deadline and parent.poll() is None, parent.stderr
        time.sleep(0.1)
    tool, grandchild = map(int, log.read_text(encoding="utf-8").split())
    parent.send_signal(signal.SIGTERM)
    assert parent.wait(timeout=30) == 143
    assert not alive(tool), "the tool outlived the pipeline"
    assert not alive(grandchild), "what the tool started outlived the pipeline"
