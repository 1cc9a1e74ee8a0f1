"""The version stage: the next build number into ``version_file``; and release bumps.

Each run stamps Jenkins' ``BUILD_NUMBER`` when present, else the current build + 1. A release
(``pipeline version bump minor``) goes through bump-my-version, given the version's form from
``pipeline.core.version`` so that form is written in one place only.
"""
import os
import re
from dataclasses import replace
from typing import Mapping

from pipeline.core import proc
from pipeline.core.config import Config
from pipeline.core.errors import InputError, StageFailed
from pipeline.core.version import NUMBER, PARSE, SERIALIZE, Version, read_version, write_version
from pipeline.stages.registry import Stage, register

RELEASE_PARTS = ("major", "minor", "patch")


def next_build_number(current: Version, number: str | None,
                      environ: Mapping[str, str] | None = None) -> int:
    """``number`` if given, else Jenkins' ``BUILD_NUMBER``, else the current build + 1."""
    env = os.environ if environ is None else environ
    source, value = "--number", number
    if number is None:
        source, value = "BUILD_NUMBER", env.get("BUILD_NUMBER")
    if value is None or value == "":
        return current.build + 1
    if not re.fullmatch(NUMBER, value):
        raise InputError(f"{source}: build number must be a non-negative integer, got {value!r}")
    return int(value)


def stamp_build(config: Config, number: str | None = None) -> Version:
    """Write the next build number into ``version_file`` and say what it became."""
    current = read_version(config, unstamped=True)
    stamped = replace(current, build=next_build_number(current, number))
    write_version(config.version_file, stamped)
    print(f"version {current} -> {stamped}")
    return stamped


def bump(config: Config, part: str) -> Version:
    """Start a release: bump-my-version raises ``part`` and resets the parts after it."""
    if part not in RELEASE_PARTS:
        raise InputError(f"cannot bump {part!r}: choose one of {', '.join(RELEASE_PARTS)}")
    current = read_version(config)
    command = proc.python_tool("bumpversion", "bump", "--current-version", str(current),
                               "--parse", PARSE, "--serialize", SERIALIZE, part)
    if proc.run(command, cwd=config.root) != 0:
        raise StageFailed(f"bump-my-version could not bump {part} of {current}")
    bumped = read_version(config)
    print(f"version {current} -> {bumped}")
    return bumped


def _stamp(config: Config) -> None:
    stamp_build(config)


register(Stage(name="version",
               summary="write the next build number into version_file (default version.txt)",
               artifacts=lambda config: (config.version_file,), run=_stamp))
