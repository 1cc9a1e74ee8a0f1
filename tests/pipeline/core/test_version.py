"""version.txt's form: written once, parsed and printed from that one place."""
from pathlib import Path

import pytest

from pipeline.core.errors import InputError
from pipeline.core.version import SERIALIZE, Version, parse, write_version


def test_parse_round_trips_and_gives_the_docker_tag() -> None:
    version = parse("12.0.3+build.45\n")
    assert version == Version(12, 0, 3, 45)
    assert str(version) == "12.0.3+build.45"
    assert version.docker_tag == "12.0.3-build.45"


def test_the_pattern_parses_exactly_what_the_form_writes() -> None:
    written = SERIALIZE.format(major=3, minor=10, patch=0, build=7)
    assert parse(written) == Version(3, 10, 0, 7)


@pytest.mark.parametrize("text", ["", "1.2", "1.2.3", "1.2.3-build.4", "01.2.3+build.4",
                                  "1.2.3+build.", "1.2.3+build.4 extra", "v1.2.3+build.4",
                                  "1x2.3+build.4", "1.2.3+buildX4"])
def test_parse_rejects_anything_else_naming_the_source(text: str) -> None:
    with pytest.raises(InputError, match=r"^version.txt: malformed version .*MAJOR"):
        parse(text, "version.txt")


def test_write_version_replaces_the_file_whole(tmp_path: Path) -> None:
    path = tmp_path / "version.txt"
    path.write_text("0.1.0+build.1\n")
    write_version(path, Version(0, 2, 0, 5))
    assert path.read_text() == "0.2.0+build.5\n"
    assert [child.name for child in tmp_path.iterdir()] == ["version.txt"]
