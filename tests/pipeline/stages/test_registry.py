"""The registry: a leaf the stage modules register into, one module per stage, named as it."""
import json
import pkgutil
import subprocess
import sys

import pytest

from pipeline import stages as stages_package
from pipeline.core.config import Config
from pipeline.core.errors import InputError
from pipeline.runner import load_stages
from pipeline.stages.registry import Stage, register, resolve

from tests.pipeline.conftest import REPO_ROOT


def test_every_stage_module_registers_the_stage_it_is_named_after() -> None:
    modules = sorted(info.name for info in pkgutil.iter_modules(stages_package.__path__)
                     if info.name != "registry")
    assert sorted(load_stages()) == modules
    for name, stage in load_stages().items():
        assert stage.run.__module__ == f"pipeline.stages.{name}"


def test_the_configured_stages_are_all_registered() -> None:
    config_stages = ("lint", "typecheck", "test", "version", "build", "push", "deploy")
    assert [stage.name for stage in resolve(config_stages)] == list(config_stages)


def test_the_registry_imports_no_stage_module() -> None:
    probe = ("import sys, json\n"
             "import pipeline.stages.registry\n"
             "print(json.dumps(sorted(name for name in sys.modules\n"
             "                        if name.startswith('pipeline.stages.'))))\n")
    result = subprocess.run([sys.executable, "-c", probe], cwd=REPO_ROOT, text=True,
                            capture_output=True, check=True, timeout=60)
    assert json.loads(result.stdout) == ["pipeline.stages.registry"]


def test_two_stages_with_one_name_are_refused() -> None:
    load_stages()

    def nothing(config: Config) -> None:
        """A stage that does nothing."""

    with pytest.raises(ValueError, match="two stages are named 'lint'"):
        register(Stage(name="lint", summary="another lint", run=nothing))


def test_an_unknown_stage_is_an_input_error_listing_the_known() -> None:
    load_stages()
    with pytest.raises(InputError, match=r"^unknown stage moon \(known: .*\blint\b"):
        resolve(("lint", "moon"))


def test_only_the_shipping_stages_need_an_extra() -> None:
    extras = {name: stage.extra for name, stage in load_stages().items()}
    assert extras == {"build": "deploy", "push": "deploy", "deploy": "deploy", "lint": None,
                      "typecheck": None, "test": None, "version": None}
