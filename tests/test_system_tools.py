"""Each make target installs the Debian packages of the tools its tests run, and the Jenkins
agent image carries the packages of what its stages run: so no target fails on a fresh machine
for want of one (`make deploy` once did: chromium, promtool, dot), and no stage calls apt as the
agent's non-root user.

Tests declare their system tools with ``@pytest.mark.tools(...)`` (module-wide with
``pytestmark``; tests/app through tests/conftest.py). Both sides are read, never copied: a
target's test selection and its packages from the commands ``make -n -B`` prints for it, the
tools of a selection from pytest's own collection of it.
"""
import re
import shlex
import subprocess
from collections.abc import Iterable
from functools import cache
from itertools import takewhile
from pathlib import Path

import pytest

from pipeline.core import config

ROOT = Path(__file__).resolve().parents[1]
MAKEFILE = ROOT / "Makefile"
JENKINSFILE = ROOT / "Jenkinsfile"
AGENT_DOCKERFILE = ROOT / "docker" / "jenkins" / "agent" / "Dockerfile"
# The Debian packages that give each tool a test may declare.
TOOL_PACKAGES: dict[str, tuple[str, ...]] = {
    "chromium": ("chromium",),
    "promtool": ("prometheus",),
    # The diagrams ask for DejaVu Sans: a render with another font is not the committed one.
    "dot": ("graphviz", "fonts-dejavu-core"),
    "groovy": ("groovy",),
    "java": ("default-jre-headless",),
    "npm": ("npm",),
    "postgres": ("postgresql",),
    "pgbench": ("postgresql",),
    "wrk": ("wrk",),
    "mmdebstrap": ("mmdebstrap",),
    "ssh": ("openssh-client",),
    "git": ("git",),
}
DEBIAN_PACKAGE = re.compile(r"[a-z0-9][a-z0-9+.-]+")
MAKE_RULE = re.compile(r"^([a-z][a-z-]*):", re.MULTILINE)
# How a test module looks a tool up, or says one is missing.
LOOKUP = re.compile(r"""shutil\.which\(\s*["']([\w.+-]+)["']"""
                    r"|\b([\w.+-]+) is (?:not installed|missing)")
# The make commands the Jenkinsfile runs: in its sh steps, or in the strings they are given.
JENKINSFILE_MAKE = re.compile(r"""['"]make ([\w-]+)['"]""")


class _Selected:
    """A pytest plugin that keeps the items a collection selected."""

    def __init__(self) -> None:
        self.items: list[pytest.Item] = []

    def pytest_collection_finish(self, session: pytest.Session) -> None:
        """Called once the ``-m`` selection is applied."""
        self.items = list(session.items)


@cache
def collected(expression: str) -> tuple[pytest.Item, ...]:
    """The tests ``pytest -m EXPRESSION`` runs ('' for all), collected by pytest itself in this
    process: modules already imported are not imported again, so it takes about a second."""
    selected = _Selected()
    selection = ["-m", expression] if expression else []
    # Its listing goes to this test's captured output; it leaves no .pytest_cache behind.
    code = pytest.main([str(ROOT / "tests"), "--collect-only", "--quiet", "--quiet", "--capture=no",
                        "-p", "no:cacheprovider", *selection], plugins=[selected])
    assert code in (pytest.ExitCode.OK, pytest.ExitCode.NO_TESTS_COLLECTED), (
        f"pytest could not collect -m {expression!r} (exit {code}): see pytest --collect-only")
    return tuple(selected.items)


def declared_tools(item: pytest.Item) -> set[str]:
    """The tools ``item``'s ``tools`` markers name."""
    return {name for mark in item.iter_markers("tools") for name in mark.args}


def tools_of(expression: str) -> dict[str, list[str]]:
    """Each tool the selection's tests declare, with those tests' ids."""
    users: dict[str, list[str]] = {}
    for item in collected(expression):
        for tool in declared_tools(item):
            users.setdefault(tool, []).append(item.nodeid)
    return users


def dry_run(target: str, makefile: Path) -> list[list[str]]:
    """The commands ``make TARGET`` runs, prerequisites' included, as words: ``-n -B`` prints
    every one without running any, whatever this machine has done already."""
    result = subprocess.run(["make", "--no-print-directory", "-f", str(makefile), "-n", "-B",
                             target], cwd=ROOT, text=True, capture_output=True, check=False,
                            timeout=60)
    assert result.returncode == 0, f"make -n {target}: {result.stderr.strip()}"
    return [shlex.split(line, comments=True)
            for line in result.stdout.replace("\\\n", " ").splitlines()]


def after(words: list[str], command: list[str]) -> list[str] | None:
    """The words after ``command`` (a run of words) in ``words``; None when it is not there."""
    for start in range(len(words) - len(command) + 1):
        if words[start:start + len(command)] == command:
            return words[start + len(command):]
    return None


def installed_packages(commands: Iterable[list[str]]) -> set[str]:
    """The Debian packages the commands ask .ci/apt-require for."""
    packages: set[str] = set()
    for words in commands:
        for position, word in enumerate(words):
            if word.endswith(".ci/apt-require"):
                packages.update(takewhile(DEBIAN_PACKAGE.fullmatch, words[position + 1:]))
    return packages


def marker_expression(pytest_args: list[str]) -> str:
    """The ``-m`` expression of pytest's arguments; '' (every test) when there is none."""
    rest = after(pytest_args, ["-m"])
    return rest[0] if rest else ""


def pipeline_test_selection() -> str:
    """The ``-m`` expression of the pipeline's test stage: setup.cfg's ``[pipeline] test_args``."""
    return marker_expression(shlex.split(config.load(ROOT).get("test_args", "")))


def selections_run(commands: Iterable[list[str]]) -> list[str]:
    """The ``-m`` expressions of the test runs among the commands: pytest's own, and the
    pipeline's test stage (`pipeline run` plays it with setup.cfg's ``[pipeline] test_args``)."""
    selections = []
    for words in commands:
        pytest_args = after(words, ["-m", "pytest"])
        if pytest_args is not None:
            selections.append(marker_expression(pytest_args))
        elif after(words, ["-m", "pipeline", "run"]) is not None:
            selections.append(pipeline_test_selection())
    return selections


def packages_of(users: dict[str, list[str]]) -> dict[str, set[str]]:
    """The Debian packages each tool comes from (a tool with none is an error of its own)."""
    return {tool: set(TOOL_PACKAGES.get(tool, ())) for tool in users}


def missing_packages(makefile: Path) -> list[str]:
    """One line per tool a target's tests use whose packages the target does not install."""
    problems = []
    for target in MAKE_RULE.findall(makefile.read_text(encoding="utf-8")):
        commands = dry_run(target, makefile)
        installed = installed_packages(commands)
        for expression in selections_run(commands):
            users = tools_of(expression)
            for tool, packages in sorted(packages_of(users).items()):
                if not packages <= installed:
                    problems.append(
                        f"make {target}: its tests (-m {expression!r}) use {tool} "
                        f"({users[tool][0]}, ...), but it does not install "
                        f"{' '.join(sorted(packages - installed))}")
    return problems


def agent_packages(dockerfile: Path) -> set[str]:
    """The Debian packages the image's ``apt-get install`` lines install."""
    words = shlex.split(dockerfile.read_text(encoding="utf-8").replace("\\\n", " "),
                        comments=True)
    packages: set[str] = set()
    while (rest := after(words, ["apt-get", "install"])) is not None:
        packages.update(word for word in takewhile(lambda word: word != "&&", rest)
                        if DEBIAN_PACKAGE.fullmatch(word))
        words = rest
    return packages


def looked_up_tools(source: str) -> set[str]:
    """The tools a module's source looks up or says are missing."""
    return {which or missing for which, missing in LOOKUP.findall(source)
            if which or (missing in TOOL_PACKAGES)}


def test_every_declared_tool_has_its_debian_packages_and_every_listed_tool_is_used() -> None:
    users = tools_of("")
    unknown = {tool: nodeids[0] for tool, nodeids in users.items() if tool not in TOOL_PACKAGES}
    assert not unknown, f"tools with no Debian package in TOOL_PACKAGES: {unknown}"
    assert not set(TOOL_PACKAGES) - set(users), "TOOL_PACKAGES lists tools no test declares"


def test_each_make_target_installs_the_packages_of_the_tools_its_tests_use() -> None:
    problems = missing_packages(MAKEFILE)
    assert not problems, "\n".join(problems)


def test_a_target_that_lacks_a_package_is_reported(tmp_path: Path) -> None:
    makefile = tmp_path / "Makefile"
    makefile.write_text("test-fast:\n\t./.ci/apt-require git groovy >/dev/null\n"
                        "\tpython -m pytest -m 'not slow' -q\n", encoding="utf-8")
    problems = missing_packages(makefile)
    assert problems and all(line.startswith("make test-fast: its tests (-m 'not slow') use ")
                            for line in problems)
    assert any(" use dot (tests/docs/test_diagrams.py::" in line
               and line.endswith("does not install fonts-dejavu-core graphviz")
               for line in problems), problems
    assert not any(" use git " in line or " use groovy " in line for line in problems)


def test_the_jenkins_agent_image_carries_every_package_its_stages_install() -> None:
    jenkinsfile = JENKINSFILE.read_text(encoding="utf-8")
    targets = sorted(set(JENKINSFILE_MAKE.findall(jenkinsfile)))
    assert "test-integration" in targets and "pipelineStage('test')" in jenkinsfile
    needed = {package: f"make {target}" for target in targets
              for package in installed_packages(dry_run(target, MAKEFILE))}
    for tool, packages in packages_of(tools_of(pipeline_test_selection())).items():
        needed.update({package: f"the Test stage's {tool}" for package in packages})
    carried = agent_packages(AGENT_DOCKERFILE)
    lacking = {package: why for package, why in sorted(needed.items()) if package not in carried}
    assert not lacking, f"{AGENT_DOCKERFILE.relative_to(ROOT)} lacks (needed by): {lacking}"


def test_a_test_module_that_looks_a_tool_up_declares_it() -> None:
    declared: dict[Path, set[str]] = {}
    for item in collected(""):
        declared.setdefault(item.path, set()).update(declared_tools(item))
    del declared[Path(__file__)]  # its own examples of look-ups are text, not look-ups
    undeclared = {}
    for path, tools in declared.items():
        used = looked_up_tools(path.read_text(encoding="utf-8"))
        if used - tools:
            undeclared[str(path.relative_to(ROOT))] = sorted(used - tools)
    assert not undeclared, f"tools used without @pytest.mark.tools: {undeclared}"


def test_lookups_are_found_in_a_modules_source() -> None:
    source = ('promtool = shutil.which("promtool")\n'
              'pytest.fail("chromium is not installed: apt-get install chromium")\n'
              'pytest.fail("PostgreSQL is not installed")\n')
    assert looked_up_tools(source) == {"promtool", "chromium"}
