"""A tool the pipeline runs ends with it: the pipeline stopped alone (SIGTERM to its process),
it stops the tool and waits for it before anything else happens (a deploy then frees its
lock: no playbook may still be switching hosts)."""
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
proc.run([sys.executable, "-c", "import os, sys, time; "
          "open(sys.argv[1], 'w').write(str(os.getpid())); time.sleep(120)", sys.argv[1]])
"""


def alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    # A zombie is gone for our purpose: it runs nothing.
    with open(f"/proc/{pid}/stat", encoding="utf-8") as stat:
        return stat.read().split(") ")[1][0] != "Z"


def test_a_stopped_pipeline_stops_its_tool_and_waits_for_it(tmp_path: Path) -> None:
    log = tmp_path / "pids"
    parent = subprocess.Popen([sys.executable, "-c", PARENT, str(log)], cwd=REPO_ROOT,
                              stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    deadline = time.monotonic() + 30
    while not log.exists() or not log.read_text(encoding="utf-8").strip():
        assert time.monotonic() < deadline and parent.poll() is None, parent.stderr
        time.sleep(0.1)
    tool = int(log.read_text(encoding="utf-8"))
    parent.send_signal(signal.SIGTERM)  # the pipeline alone, not its group
    assert parent.wait(timeout=30) == 143
    assert not alive(tool), "the tool outlived the pipeline"
