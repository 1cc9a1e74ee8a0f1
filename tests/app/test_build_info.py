"""What ``/version`` reports: the image's baked build number, or the checkout's version.txt.

In an image the pipeline bakes APP_BUILD and nothing is parsed; from a checkout the build number
is the version's PEP 440 local segment (``+build.N``), read with ``packaging``: the app never
imports the pipeline that delivers it.
"""
import subprocess
import sys
from pathlib import Path

import pytest

from app.build_info import read_build_info
from app.settings import ConfigError

REPO_ROOT = Path(__file__).resolve().parents[2]


def test_the_baked_build_is_reported_without_reading_the_version() -> None:
    info = read_build_info({"APP_VERSION": "whatever the image says", "APP_BUILD": "314"})
    assert (info.version, info.build) == ("whatever the image says", 314)


@pytest.mark.parametrize("build", ["-1", "x", "3.0", "²"])
def test_a_bad_baked_build_is_a_start_error(build: str) -> None:
    with pytest.raises(ConfigError, match="^APP_BUILD must be a non-negative integer, got "):
        read_build_info({"APP_VERSION": "1.0.0+build.1", "APP_BUILD": build})


@pytest.mark.parametrize(("version", "build"), [
    ("1.4.2+build.57", 57), ("0.1.0+build.0", 0), ("01.2.3+BUILD-4", 4), ("2.0", 0),
    ("1.0.2", 0)])
def test_outside_an_image_the_build_is_the_local_segment_or_0(version: str, build: int) -> None:
    assert read_build_info({"APP_VERSION": version}).build == build


def test_from_a_checkout_the_build_is_version_txts() -> None:
    text = (REPO_ROOT / "version.txt").read_text(encoding="utf-8").strip()
    assert read_build_info({}).build == int(text.rpartition("+build.")[2])


@pytest.mark.parametrize("version", ["1.2.3-build.4", "latest", "1.2.3+"])
def test_a_version_that_is_not_pep_440_is_a_start_error(version: str) -> None:
    with pytest.raises(ConfigError, match="^APP_VERSION must be a PEP 440 version, got "):
        read_build_info({"APP_VERSION": version})


@pytest.mark.parametrize("version", ["1.2.3+abc", "1.2.3+build", "1.2.3+build.4.1",
                                     "1.2.3+local.4"])
def test_a_local_segment_other_than_build_n_is_a_start_error(version: str) -> None:
    with pytest.raises(ConfigError, match=r"^APP_VERSION must end in \+build\.N when it has a "):
        read_build_info({"APP_VERSION": version})


def test_the_app_reads_its_build_without_the_pipeline_package() -> None:
    """As in the app's own distribution, installed without the library."""
    code = ("import sys; sys.modules['pipeline'] = None\n"
            "from app.build_info import read_build_info\n"
            "print(read_build_info({'APP_VERSION': '1.0.0+build.3'}).build)\n")
    result = subprocess.run([sys.executable, "-c", code], cwd=REPO_ROOT, text=True,
                            capture_output=True, check=False, timeout=60)
    assert (result.returncode, result.stdout, result.stderr) == (0, "3\n", "")
