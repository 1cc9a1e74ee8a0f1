"""The commands of a runnable shell block, as words, the way sh would split them.

Handles what the docs use: comments, quotes, line continuations, ``&&``/``||``/``;``/``|``
lists, redirections (their targets are files the command makes, not ones it needs) and
leading ``VAR=value`` assignments or ``sudo``. Not a shell: a ``#`` inside a word starts a
comment here, so keep such words out of runnable blocks.
"""
import re
import shlex
from dataclasses import dataclass

SEPARATORS = {";", "&", "&&", "|", "||", "(", ")"}
ASSIGNMENT = re.compile(r"[A-Za-z_][A-Za-z0-9_]*=")
PREFIXES = {"sudo", "env", "exec", "time"}
PYTHONS = re.compile(r"(.*/)?python3?(\.\d+)?")


@dataclass(frozen=True)
class Command:
    """One simple command: its words (assignments and prefixes dropped) and line in the block."""

    words: tuple[str, ...]
    line: int

    def pipeline_args(self) -> tuple[str, ...] | None:
        """The arguments when this runs the pipeline CLI (``pipeline``, ``python -m pipeline``)."""
        words = self.words
        if words and words[0].split("/")[-1] == "pipeline":
            return words[1:]
        if len(words) >= 3 and PYTHONS.fullmatch(words[0]) and words[1:3] == ("-m", "pipeline"):
            return words[3:]
        return None

    def make_targets(self) -> tuple[str, ...] | None:
        """The targets when this runs make (options and VAR=value arguments left out)."""
        if not self.words or self.words[0] != "make":
            return None
        targets, skip = [], False
        for word in self.words[1:]:
            if skip:
                skip = False
            elif word in ("-C", "-f", "-j", "-l", "-o", "-W", "-I"):
                skip = True
            elif not word.startswith("-") and not ASSIGNMENT.match(word):
                targets.append(word)
        return tuple(targets)


def _logical_lines(block: str) -> list[tuple[int, str]]:
    """(first line number, text) with backslash continuations joined."""
    joined: list[tuple[int, str]] = []
    pending, start = "", 0
    for number, line in enumerate(block.splitlines(), start=1):
        if not pending:
            start = number
        if line.endswith("\\"):
            pending += line[:-1] + " "
            continue
        joined.append((start, pending + line))
        pending = ""
    if pending:
        joined.append((start, pending))
    return joined


def commands(block: str) -> list[Command]:
    """Every simple command of ``block``, in order."""
    found = []
    for number, line in _logical_lines(block):
        lexer = shlex.shlex(line, posix=True, punctuation_chars=True)
        lexer.whitespace_split = True
        lexer.commenters = "#"
        simple: list[list[str]] = [[]]
        redirect_target = False
        for token in lexer:
            if token in SEPARATORS:
                simple.append([])
            elif set(token) <= set("<>&|;()") and ("<" in token or ">" in token):
                redirect_target = True  # a file made, or a descriptor after >&
            elif redirect_target:
                redirect_target = False
            else:
                simple[-1].append(token)
        found += [Command(tuple(words), number) for words in map(_strip, simple) if words]
    return found


def _strip(words: list[str]) -> list[str]:
    """Drop leading assignments and prefixes such as ``sudo``."""
    index = 0
    while index < len(words) and (ASSIGNMENT.match(words[index]) or words[index] in PREFIXES):
        index += 1
    return words[index:]
