"""The base install (no extra) runs lint, typecheck, test and version; a command that needs an
extra says in one line which one, and exits 2 with nothing done.

Each case runs the real CLI in a subprocess where the optional packages cannot be imported
(``sys.modules[name] = None``, as if they were not installed), against a sample project.
"""
import json
import subprocess
import sys
from pathlib import Path

from tests.pipeline.conftest import REPO_ROOT, run_cli

# What the extras bring (deploy: docker, ansible; jenkins: python-jenkins, PyYAML; app: Flask
# and friends), and requests, which only they pull in.
NOT_INSTALLED = ("docker", "ansible", "jenkins", "yaml", "requests", "flask", "sqlalchemy")
WITHOUT_EXTRAS = ("import sys\n"
                  f"for name in {NOT_INSTALLED!r}:\n"
                  "    sys.modules[name] = None\n"
                  "from pipeline.cli import main\n"
                  "sys.exit(main(sys.argv[1:]))\n")


def without_extras(project: Path, *args: str) -> subprocess.CompletedProcess[str]:
    """``pipeline ARGS`` in ``project`` as if only the base install were there."""
    return run_cli(project, *args, python_args=("-c", WITHOUT_EXTRAS))


def test_help_and_every_base_stage_work_without_extras(project: Path) -> None:
    assert without_extras(project, "--help").returncode == 0
    result = without_extras(project, "run", "--stages", "lint,version")
    assert result.returncode == 0, result.stdout + result.stderr
    assert (project / "version.txt").read_text() == "1.4.2+build.8\n"


COMMANDS_AND_EXTRAS = [
    (["build"], "deploy"), (["push"], "deploy"), (["deploy", "local"], "deploy"),
    (["status", "local"], "deploy"), (["rollback", "local"], "deploy"),
    (["jenkins", "status", "job"], "jenkins"), (["jenkins", "sync"], "jenkins")]
# One interpreter for every command (each is a separate main() call): faster than a process each.
EACH_COMMAND = ("import contextlib, io, json, sys\n"
                f"for name in {NOT_INSTALLED!r}:\n"
                "    sys.modules[name] = None\n"
                "from pipeline.cli import main\n"
                "results = []\n"
                "for argv in json.loads(sys.argv[1]):\n"
                "    err = io.StringIO()\n"
                "    with contextlib.redirect_stderr(err):\n"
                "        results.append([main(argv), err.getvalue()])\n"
                "print(json.dumps(results))\n")


def test_a_command_without_its_extra_names_it_in_one_line_and_changes_nothing(
        project: Path) -> None:
    commands = json.dumps([command for command, _ in COMMANDS_AND_EXTRAS])
    result = run_cli(project, commands, python_args=("-c", EACH_COMMAND),
                     env={"JENKINS_URL": "http://127.0.0.1:9/", "JENKINS_USER": "u",
                          "JENKINS_TOKEN": "t0ken"})
    assert result.returncode == 0, result.stderr
    for (command, extra), (code, stderr) in zip(COMMANDS_AND_EXTRAS, json.loads(result.stdout),
                                                strict=True):
        assert code == 2, command
        assert stderr == (f"pipeline: error: this command needs the '{extra}' extra (no module "
                          f"named {'jenkins' if extra == 'jenkins' else 'docker'!r}): "
                          f"pip install 'pipeline[{extra}]'\n"), command
    assert not (project / "reports").exists()


def test_run_refuses_a_stage_without_its_extra_before_anything_runs(project: Path) -> None:
    result = without_extras(project, "run", "--stages", "version,build")
    assert result.returncode == 2
    assert "needs the 'deploy' extra (no module named 'docker')" in result.stderr
    assert (project / "version.txt").read_text() == "1.4.2+build.7\n"
    assert not (project / "reports" / "pipeline.json").exists()


def test_the_cli_imports_no_optional_package_until_a_command_needs_it() -> None:
    probe = ("import sys\n"
             "from pipeline.cli import build_parser\n"
             "build_parser()\n"
             f"print(sorted(name for name in {NOT_INSTALLED!r} if name in sys.modules))\n")
    result = subprocess.run([sys.executable, "-c", probe], cwd=REPO_ROOT, text=True,
                            capture_output=True, check=True, timeout=60)
    assert json.loads(result.stdout.replace("'", '"')) == []
