"""What ``/version`` reports: the image's baked build number, or the checkout's version.txt.

The app never parses the version: in an image the build stage bakes APP_BUILD; from a checkout
the pipeline package reads it. Without either, the app refuses to start in one line.
"""
import subprocess
import sys
from pathlib import Path

import pytest

from app.build_info import read_build_info
from app.settings import ConfigError
from pipeline.core.version import parse

REPO_ROOT = Path(__file__).resolve().parents[2]


def test_the_baked_build_is_reported_without_reading_the_version() -> None:
    info = read_build_info({"APP_VERSION": "whatever the image says", "APP_BUILD": "314"})
    assert (info.version, info.build) == ("whatever the image says", 314)


@pytest.mark.parametrize("build", ["-1", "x", "3.0", "²"])
def test_a_bad_baked_build_is_a_start_error(build: str) -> None:
    with pytest.raises(ConfigError, match="^APP_BUILD must be a non-negative integer, got "):
        read_build_info({"APP_VERSION": "1.0.0+build.1", "APP_BUILD": build})


def test_from_a_checkout_the_build_is_the_pipelines_reading_of_version_txt() -> None:
    text = (REPO_ROOT / "version.txt").read_text(encoding="utf-8")
    assert read_build_info({}).build == parse(text).build


def test_the_build_stage_bakes_the_build_number_the_app_reports() -> None:
    from pipeline.ship.images import build_args

    args = build_args(parse("2.3.4+build.56"), "abc", "t", "base", "src")
    assert read_build_info(args).as_dict() == {"version": "2.3.4+build.56", "build": 56,
                                               "commit": "abc", "built_at": "t"}


def test_without_app_build_or_the_pipeline_package_the_app_refuses_to_start(
        tmp_path: Path) -> None:
    """As in an image built without APP_BUILD: the pipeline package cannot be imported."""
    code = ("import sys; sys.modules['pipeline'] = None\n"
            "from app.build_info import read_build_info\n"
            "read_build_info({'APP_VERSION': '1.0.0+build.3'})\n")
    result = subprocess.run([sys.executable, "-c", code], cwd=REPO_ROOT, text=True,
                            capture_output=True, check=False, timeout=60)
    assert result.returncode == 1
    assert result.stderr.splitlines()[-1] == (
        "app.settings.ConfigError: APP_BUILD is not set and the pipeline package, which reads "
        "the build number of APP_VERSION, is not importable")
