"""Whether command lines parse with the pipeline's own argument parser, without running them.

One child process runs ``python -m pipeline`` (however the package lays out its CLI) once per
command line, with ``argparse.ArgumentParser.parse_args`` wrapped to stop right after a
successful parse: unknown commands, flags and missing arguments fail exactly as for a user,
and no handler ever runs.
"""
import json
import subprocess
import sys
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[2]

_CHILD = r"""
import argparse, contextlib, io, json, runpy, sys

class Parsed(BaseException):
    "Raised right after a successful parse, before any handler runs."

original = argparse.ArgumentParser.parse_args

def parse_args(self, args=None, namespace=None):
    original(self, args, namespace)
    raise Parsed()

argparse.ArgumentParser.parse_args = parse_args
results = []
for argv in json.load(sys.stdin):
    sys.argv = ["pipeline", *argv]
    said = io.StringIO()
    try:
        with contextlib.redirect_stderr(said), contextlib.redirect_stdout(io.StringIO()):
            runpy.run_module("pipeline", run_name="__main__", alter_sys=True)
        results.append("the command ran without parsing its arguments")
    except Parsed:
        results.append("")
    except SystemExit as exit:
        lines = said.getvalue().strip().splitlines()
        results.append("" if exit.code in (0, None) else (lines or [f"exit {exit.code}"])[-1])
json.dump(results, sys.__stdout__)
"""


def parse_errors(command_lines: list[tuple[str, ...]]) -> list[str]:
    """For each command line (the words after ``pipeline``): "" when it parses, else the error."""
    result = subprocess.run([sys.executable, "-c", _CHILD], cwd=REPO_ROOT, text=True,
                            input=json.dumps(command_lines), capture_output=True, timeout=120,
                            check=False)
    if result.returncode != 0:
        raise RuntimeError(f"the parse check itself failed: {result.stderr.strip()[-2000:]}")
    errors = json.loads(result.stdout)
    assert isinstance(errors, list) and len(errors) == len(command_lines)
    return [str(error) for error in errors]
