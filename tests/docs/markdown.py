"""What the docs' Markdown holds: fenced blocks, inline code, links and heading anchors.

Just enough Markdown for the docs tests: fenced blocks (``` or ~~~, with their info string),
code spans outside them, inline links, and the anchors GitHub gives headings.
"""
import re
from dataclasses import dataclass
from pathlib import Path

FENCE = re.compile(r"^ {0,3}(`{3,}|~{3,})\s*([^`\s]*)")
CODE_SPAN = re.compile(r"(`+)(.+?)(?<!`)\1(?!`)")
LINK = re.compile(r"\[[^\]]*\]\(([^)\s]+)(?:\s+\"[^\"]*\")?\)")
HEADING = re.compile(r"^ {0,3}#{1,6}\s+(.*?)\s*#*\s*$")


@dataclass(frozen=True)
class Found:
    """Something found in a Markdown file, with where it is (for failure messages)."""

    path: Path
    line: int
    text: str
    # A fenced block's info string ("sh", "text", ...); "" for everything else.
    language: str = ""

    def where(self, root: Path) -> str:
        """``docs/x.md:12``."""
        return f"{self.path.relative_to(root)}:{self.line}"


def _lines_outside_fences(path: Path) -> list[tuple[int, str]]:
    """(line number, text) of every line that is not inside a fenced block."""
    outside, fence = [], ""
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        match = FENCE.match(line)
        if fence:
            if match and match.group(1).startswith(fence) and not match.group(2):
                fence = ""
            continue
        if match:
            fence = match.group(1)
            continue
        outside.append((number, line))
    return outside


def fenced_blocks(path: Path) -> list[Found]:
    """Every fenced block: its info string's first word and its text (line: the opening fence)."""
    blocks: list[Found] = []
    body: list[str] = []
    fence, language, start = "", "", 0
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        match = FENCE.match(line)
        if not fence:
            if match:
                fence, language, start, body = match.group(1), match.group(2), number, []
            continue
        if match and match.group(1).startswith(fence) and not match.group(2):
            blocks.append(Found(path, start, "\n".join(body), language))
            fence = ""
            continue
        body.append(line)
    if fence:
        raise ValueError(f"{path}:{start}: a fenced block is never closed")
    return blocks


def code_spans(path: Path) -> list[Found]:
    """Inline code outside fenced blocks (a table's ``\\|`` read as ``|``)."""
    return [Found(path, number, match.group(2).strip().replace("\\|", "|"))
            for number, line in _lines_outside_fences(path)
            for match in CODE_SPAN.finditer(line)]


def links(path: Path) -> list[Found]:
    """Targets of inline links and images outside code."""
    return [Found(path, number, match.group(1))
            for number, line in _lines_outside_fences(path)
            for match in LINK.finditer(CODE_SPAN.sub("", line))]


def github_anchor(heading: str) -> str:
    """The anchor GitHub gives a heading: lower case, punctuation dropped, spaces as hyphens."""
    text = re.sub(r"\[([^\]]*)\]\([^)]*\)", r"\1", heading).lower()
    return re.sub(r"[^\w\- ]", "", text).replace(" ", "-")


def anchors(path: Path) -> set[str]:
    """Every heading's anchor in ``path`` (repeats get -1, -2, ... as on GitHub)."""
    found: set[str] = set()
    for _, line in _lines_outside_fences(path):
        match = HEADING.match(line)
        if not match:
            continue
        anchor = base = github_anchor(match.group(1))
        repeat = 0
        while anchor in found:
            repeat += 1
            anchor = f"{base}-{repeat}"
        found.add(anchor)
    return found
