"""The diagrams: each Graphviz source has its SVG beside it, and that SVG is its render."""
import subprocess
from pathlib import Path

import pytest

pytestmark = pytest.mark.tools("dot")
REPO_ROOT = Path(__file__).resolve().parents[2]
DIAGRAMS = REPO_ROOT / "docs" / "diagrams"
RENDER = DIAGRAMS / "render.sh"


def sources() -> list[Path]:
    """The diagrams' Graphviz sources."""
    return sorted(DIAGRAMS.glob("*.dot"))


def render(out: Path, *files: Path) -> subprocess.CompletedProcess[str]:
    """docs/diagrams/render.sh into ``out`` (every source unless ``files`` are given)."""
    return subprocess.run([str(RENDER), "-o", str(out), *map(str, files)], text=True,
                          capture_output=True, timeout=120, check=False)


def test_every_source_has_its_svg_and_every_svg_its_source() -> None:
    assert {path.stem for path in sources()} >= {"delivery", "deployment", "deploy-sequence"}
    assert {path.stem for path in DIAGRAMS.glob("*.svg")} == {path.stem for path in sources()}


def test_the_committed_svgs_are_the_render_of_their_sources(tmp_path: Path) -> None:
    result = render(tmp_path)
    assert result.returncode == 0, result.stderr
    stale = [f"docs/diagrams/{source.stem}.svg" for source in sources()
             if (tmp_path / f"{source.stem}.svg").read_bytes()
             != source.with_suffix(".svg").read_bytes()]
    assert not stale, (f"not the render of their sources: {', '.join(stale)}; run "
                       "docs/diagrams/render.sh (make docs) and commit the SVGs")


def test_a_source_dot_refuses_fails_the_render_and_leaves_no_file(tmp_path: Path) -> None:
    broken = tmp_path / "broken.dot"
    broken.write_text("digraph { a -> }\n", encoding="utf-8")
    out = tmp_path / "out"
    out.mkdir()
    result = render(out, broken)
    assert result.returncode == 1
    assert result.stderr.strip().splitlines()[-1] == f"render.sh: dot refused {broken}"
    assert list(out.iterdir()) == []


def test_every_diagram_is_shown_in_the_docs() -> None:
    pages = "".join(path.read_text(encoding="utf-8")
                    for path in (REPO_ROOT / "docs").rglob("*.md"))
    unshown = [source.stem for source in sources() if f"diagrams/{source.stem}.svg" not in pages]
    assert not unshown, f"diagrams no page shows: {', '.join(unshown)}"
