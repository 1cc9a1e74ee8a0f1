"""Every command the docs show runs: its pipeline flags parse, its make targets and paths exist.

Runnable commands live in fenced ``sh`` blocks; examples that are not meant to be run (output,
placeholders, other machines' files) are fenced as ``text``, ``console``, ``yaml``, ... . Paths
are checked wherever the docs name them: in runnable blocks, in inline code and in links.
"""
import fnmatch
import re
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.docs.cli import parse_errors
from tests.docs.markdown import Found, anchors, code_spans, fenced_blocks, links
from tests.docs.shell import Command, commands

pytestmark = pytest.mark.tools("git")
REPO_ROOT = Path(__file__).resolve().parents[2]
RUNNABLE = {"sh", "bash", "shell"}
# Files the docs have the reader create: they exist only once the reader follows the steps.
MADE_BY_THE_READER = {
    "ansible/inventories/staging/group_vars/all/vault.yml",
    "ansible/inventories/production/group_vars/all/vault.yml",
}
# Placeholders the docs use inside paths (ansible/inventories/ENV): any name matches.
PLACEHOLDER = re.compile(r"\b(ENV|HOST|NAME|BUILD|N)\b")
MAKE_RULE = re.compile(r"^([A-Za-z0-9][\w.-]*(?:[ \t]+[A-Za-z0-9][\w.-]*)*)[ \t]*:(?!:?=)",
                       re.MULTILINE)


def doc_files() -> list[Path]:
    """The README and every page under docs/."""
    return [REPO_ROOT / "README.md", *sorted((REPO_ROOT / "docs").rglob("*.md"))]


def runnable_commands() -> Iterator[tuple[Found, Command]]:
    """Each command of each runnable block, with the block it is in."""
    for path in doc_files():
        for block in fenced_blocks(path):
            if block.language in RUNNABLE:
                for command in commands(block.text):
                    yield block, command


def where(block: Found, command: Command) -> str:
    """``docs/x.md:14`` for a command on the block's 2nd line (the fence is line 12)."""
    return f"{block.path.relative_to(REPO_ROOT)}:{block.line + command.line}"


def makefile_targets(makefile: Path) -> set[str]:
    """The explicit targets of ``makefile`` (rules whose names are plain words)."""
    return {name for match in MAKE_RULE.finditer(makefile.read_text(encoding="utf-8"))
            for name in match.group(1).split() if not name.startswith(".")}


def tracked_top_level() -> set[str]:
    """The repository's top-level names, as git tracks them."""
    listed = subprocess.run(["git", "ls-files"], cwd=REPO_ROOT, text=True, capture_output=True,
                            check=True).stdout.split()
    return {name.split("/")[0] for name in listed}


def repository_path(word: str, top_level: set[str]) -> str | None:
    """``word`` as a path inside the repository, or None when it names something else."""
    word = word.strip().removeprefix("./").rstrip("/,.:;")
    if not word or re.search(r"://|[\s{}$@=<>]", word) or word.startswith(("/", "~", "-")):
        return None
    first = word.split("/")[0]
    if first not in top_level | {"build", "reports", ".venv"}:
        return None
    return word


def ignored_by_git(paths: list[str]) -> set[str]:
    """Those of ``paths`` that git ignores: files the project generates, never committed."""
    if not paths:
        return set()
    # Asked also as directories: a rule such as `build/` matches only those.
    asked = [form for path in paths for form in (path, f"{path}/")]
    result = subprocess.run(["git", "check-ignore", "--no-index", "--stdin"], cwd=REPO_ROOT,
                            input="\n".join(asked) + "\n", text=True, capture_output=True,
                            check=False)
    return {path.rstrip("/") for path in result.stdout.split()}


def named_paths() -> Iterator[tuple[str, str]]:
    """(where, path) of every repository path the docs name outside links."""
    top_level = tracked_top_level()
    for block, command in runnable_commands():
        for word in command.words:
            path = repository_path(word, top_level)
            if path:
                yield where(block, command), path
    for doc in doc_files():
        for span in code_spans(doc):
            for word in span.text.split():
                path = repository_path(word, top_level)
                if path:
                    yield span.where(REPO_ROOT), path


def test_every_fenced_block_of_the_docs_says_whether_it_runs() -> None:
    # The README's Layout block is left unmarked (read as text): another change owns it.
    unmarked = [block.where(REPO_ROOT) for path in doc_files()[1:]
                for block in fenced_blocks(path) if not block.language]
    assert not unmarked, ("fenced blocks without a language (sh runs; text, console, yaml ... "
                          f"do not): {', '.join(unmarked)}")


def test_the_docs_show_runnable_pipeline_and_make_commands() -> None:
    found = [command for _, command in runnable_commands()]
    assert any(command.pipeline_args() for command in found)
    assert any(command.make_targets() for command in found)


def test_every_pipeline_command_in_the_docs_parses() -> None:
    shown = [(where(block, command), args) for block, command in runnable_commands()
             if (args := command.pipeline_args()) is not None]
    errors = parse_errors([args for _, args in shown])
    wrong = [f"{place}: pipeline {' '.join(args)}: {error}"
             for (place, args), error in zip(shown, errors) if error]
    assert not wrong, "\n".join(wrong)


def test_every_make_target_named_in_the_docs_exists() -> None:
    targets = makefile_targets(REPO_ROOT / "Makefile")
    named = [(where(block, command), target) for block, command in runnable_commands()
             for target in command.make_targets() or ()]
    named += [(span.where(REPO_ROOT), target) for doc in doc_files() for span in code_spans(doc)
              if span.text.startswith("make ")
              for target in Command(tuple(span.text.split()), 0).make_targets() or ()]
    missing = [f"{place}: make {target}" for place, target in named if target not in targets]
    assert not missing, "the Makefile has no such target:\n" + "\n".join(missing)


def test_every_repository_path_named_in_the_docs_exists() -> None:
    absent = [(place, path) for place, path in named_paths()
              if not list(REPO_ROOT.glob(PLACEHOLDER.sub("*", path)))
              and not fnmatch.filter(MADE_BY_THE_READER, PLACEHOLDER.sub("*", path))]
    ignored = ignored_by_git(sorted({path for _, path in absent}))
    missing = [f"{place}: {path}" for place, path in absent if path not in ignored]
    assert not missing, "no such path in the repository:\n" + "\n".join(missing)


def test_every_link_in_the_docs_leads_somewhere() -> None:
    broken = []
    for doc in doc_files():
        for link in links(doc):
            if re.match(r"[a-z]+:", link.text):
                continue  # http(s), mailto: not this repository's
            target, _, anchor = link.text.partition("#")
            path = (doc.parent / target).resolve() if target else doc
            if not path.exists() or REPO_ROOT not in (path, *path.parents):
                broken.append(f"{link.where(REPO_ROOT)}: {link.text} (no such file)")
            elif anchor and path.suffix == ".md" and anchor not in anchors(path):
                broken.append(f"{link.where(REPO_ROOT)}: {link.text} (no such heading)")
    assert not broken, "\n".join(broken)
