"""The library's Dockerfile template: generic, rendered from the service contract, and the build
arguments that bake what changes every build. Text only: the real build is
tests/ship/test_image_template_build.py."""
import json
import re
import subprocess
import sys
from pathlib import Path

import pytest

from pipeline.core import config as config_module
from pipeline.core.config import Config
from pipeline.core.errors import InputError
from pipeline.core.version import Version
from pipeline.ship import images
from pipeline.ship.settings import TEMPLATE_DOCKERFILE, ShipSettings

TEMPLATE = TEMPLATE_DOCKERFILE.read_text(encoding="utf-8")


def service(root: Path, **keys: str) -> Config:
    """A service folder (with an ``app`` folder to copy) configured by ``keys``."""
    (root / "app").mkdir(exist_ok=True)
    lines = ["[pipeline]", "stages = build", *(f"{key} = {value}" for key, value in keys.items())]
    (root / "setup.cfg").write_text("\n".join(lines) + "\n")
    return config_module.load(root, {})


def rendered(config: Config, directory: Path) -> str:
    path = images.dockerfile(config, ShipSettings.from_config(config), directory)
    return path.read_text(encoding="utf-8")


def test_the_template_names_nothing_of_any_one_service() -> None:
    """No name, path, endpoint or command of the reference app: the contract says those."""
    instructions = "\n".join(line for line in TEMPLATE.splitlines() if not line.startswith("#"))
    for word in ("visitor", "app/", "/healthz", "/version", "migrate", "create_app",
                 "PROMETHEUS", "HEALTHCHECK", "/srv/instance"):
        assert word not in instructions, word


def test_the_template_is_a_package_data_file_of_the_library() -> None:
    assert TEMPLATE_DOCKERFILE.parent.name == "templates"
    assert TEMPLATE_DOCKERFILE.parent.parent.name == "pipeline"


def test_the_template_as_written_passes_hadolint() -> None:
    hadolint = Path(sys.executable).parent / "hadolint"
    result = subprocess.run([str(hadolint), str(TEMPLATE_DOCKERFILE)], text=True,
                            capture_output=True, check=False, timeout=120)
    assert result.returncode == 0, result.stdout + result.stderr


def test_rendering_fills_the_contract(tmp_path: Path) -> None:
    config = service(tmp_path, image_paths="app, wsgi.py", port="9000",
                     command="gunicorn --config app/gunicorn.conf.py 'app:create_app()'",
                     wheelhouse_dir="out/wheels")
    (tmp_path / "wsgi.py").write_text("")
    text = rendered(config, tmp_path)
    assert "COPY out/wheels/ /wheelhouse/\n" in text
    assert 'COPY ["app", "/srv/app"]\nCOPY ["wsgi.py", "/srv/wsgi.py"]\n' in text
    assert "EXPOSE 9000\n" in text
    assert ('CMD ["gunicorn", "--config", "app/gunicorn.conf.py", "app:create_app()"]\n'
            in text)
    assert text.count("\nCOPY ") == 4  # the wheelhouse, the venv, the two paths


def test_by_default_everything_is_copied_and_gunicorn_serves_wsgi(tmp_path: Path) -> None:
    text = rendered(service(tmp_path, wsgi="app:app"), tmp_path)
    assert 'COPY [".", "/srv"]\n' in text
    assert 'CMD ["gunicorn", "--bind", "0.0.0.0:8000", "app:app"]\n' in text
    assert "EXPOSE 8000\n" in text


def test_a_copied_file_or_folder_lands_at_the_same_place_under_srv() -> None:
    """No trailing slash: Docker would make a copied file a folder of that name."""
    assert images.copy_instructions(["wsgi.py", "src/pkg/"]) == [
        'COPY ["wsgi.py", "/srv/wsgi.py"]', 'COPY ["src/pkg", "/srv/src/pkg"]']


@pytest.mark.parametrize("path", ["/etc", "../other", "app/../../x"])
def test_a_path_outside_the_service_is_refused(path: str) -> None:
    with pytest.raises(InputError, match=f"image_paths: {re.escape(path)} is outside"):
        images.copy_instructions([path])


def test_neither_command_nor_wsgi_is_an_input_error(tmp_path: Path) -> None:
    with pytest.raises(InputError, match=r"^setup.cfg \[pipeline\] command: empty, and so is "
                                         "wsgi"):
        rendered(service(tmp_path), tmp_path)


def test_an_image_path_that_does_not_exist_is_an_input_error(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="image_paths: no such path src"):
        rendered(service(tmp_path, image_paths="src", wsgi="a:b"), tmp_path)


def test_a_wheelhouse_outside_the_context_is_an_input_error(tmp_path: Path) -> None:
    (tmp_path / "svc").mkdir()
    config = service(tmp_path / "svc", wsgi="a:b", wheelhouse_dir=str(tmp_path / "wheels"))
    with pytest.raises(InputError, match="wheelhouse_dir: .* is outside .*, the build context"):
        rendered(config, tmp_path)


def test_an_unbalanced_command_is_an_input_error(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="command: No closing quotation"):
        rendered(service(tmp_path, command="gunicorn 'app:app"), tmp_path)


def test_the_services_own_dockerfile_is_used_as_it_is(tmp_path: Path) -> None:
    (tmp_path / "Dockerfile").write_text("FROM scratch\n")
    config = service(tmp_path, dockerfile="Dockerfile")
    settings = ShipSettings.from_config(config)
    assert images.dockerfile(config, settings, tmp_path / "unused") == tmp_path / "Dockerfile"


def test_every_marker_of_the_template_is_filled() -> None:
    instructions = {"wheelhouse": ["W"], "copy": ["C1", "C2"], "port": ["P"], "command": ["X"]}
    lines = images.render(TEMPLATE, instructions).splitlines()
    assert [line for line in lines if line in ("W", "C1", "C2", "P", "X")] == [
        "W", "C1", "C2", "P", "X"]
    with pytest.raises(ValueError, match="markers"):
        images.render(TEMPLATE, {**instructions, "user": ["U"]})


def test_build_args_bake_version_build_commit_time_source_and_title() -> None:
    args = images.build_args(Version(0, 2, 0, 9), "abc", "2026-11-23T08:00:00+00:00",
                             "pipeline/python:3.11-bookworm", "https://example.org/repo",
                             "visitors")
    assert args == {"BASE_IMAGE": "pipeline/python:3.11-bookworm", "APP_VERSION": "0.2.0+build.9",
                    "APP_BUILD": "9", "APP_COMMIT": "abc",
                    "APP_BUILT_AT": "2026-11-23T08:00:00+00:00",
                    "APP_SOURCE": "https://example.org/repo", "IMAGE_TITLE": "visitors"}


def test_every_build_arg_is_declared_by_the_template_and_labelled() -> None:
    args = images.build_args(Version(1, 0, 0, 1), "c", "t", "b", "s", "n")
    declared = set(re.findall(r"^ARG (\w+)=", TEMPLATE, re.M))
    assert declared == set(args)
    for label in ("org.opencontainers.image.version", "org.opencontainers.image.revision",
                  "org.opencontainers.image.created", "org.opencontainers.image.source",
                  "org.opencontainers.image.title", "pipeline.build"):
        assert f"{label}=" in TEMPLATE
    assert 'pipeline.build="${APP_BUILD}"' in TEMPLATE


def test_the_wheelhouse_is_installed_with_no_index() -> None:
    install = next(line for line in TEMPLATE.splitlines() if "pip install" in line)
    assert "--no-index --find-links /wheelhouse" in install


def test_the_image_runs_as_a_user_that_is_not_root() -> None:
    users = re.findall(r"^USER (\S+)$", TEMPLATE, re.M)
    assert users and users[-1].split(":")[0] not in ("0", "root")


def test_the_command_is_a_json_array(tmp_path: Path) -> None:
    text = rendered(service(tmp_path, command="python -m http.server 8000"), tmp_path)
    command = next(line for line in text.splitlines() if line.startswith("CMD "))
    assert json.loads(command[len("CMD "):]) == ["python", "-m", "http.server", "8000"]
