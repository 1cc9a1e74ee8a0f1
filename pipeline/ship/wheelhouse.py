"""The wheelhouse the image installs from, built on the build host.

Images never reach the network: ``pip wheel`` runs here, into a directory inside the build
context, from setup.cfg's ``app`` extra (the one list of the app's run-time dependencies).
"""
from pathlib import Path

from pipeline.core import proc
from pipeline.core.config import CONFIG_FILE, Config, read_setup_cfg
from pipeline.core.errors import InputError, StageFailed

EXTRAS_SECTION = "options.extras_require"
APP_EXTRA = "app"
REQUIREMENTS = "requirements.txt"


def app_requirements(setup_cfg: Path) -> list[str]:
    """The requirement lines of the ``app`` extra, in setup.cfg's order."""
    text = read_setup_cfg(setup_cfg).get(EXTRAS_SECTION, APP_EXTRA, fallback="")
    lines = [line.strip() for line in text.splitlines()]
    requirements = [line for line in lines if line and not line.startswith("#")]
    if not requirements:
        raise InputError(f"{CONFIG_FILE} [{EXTRAS_SECTION}] {APP_EXTRA}: lists no requirement")
    return requirements


def requirements_text(requirements: list[str]) -> str:
    """The requirements file pip reads inside the image."""
    return "".join(f"{line}\n" for line in requirements)


def is_current(wheelhouse: Path, text: str) -> bool:
    """Whether the wheelhouse was built from exactly these requirements (then no pip run)."""
    marker = wheelhouse / REQUIREMENTS
    try:
        built_from = marker.read_text(encoding="utf-8")
    except OSError:
        return False
    return built_from == text and any(wheelhouse.glob("*.whl"))


def prepare(config: Config, wheelhouse: Path) -> Path:
    """Make sure ``wheelhouse`` holds wheels for every app requirement; returns its path."""
    text = requirements_text(app_requirements(config.root / CONFIG_FILE))
    if is_current(wheelhouse, text):
        print(f"wheelhouse {config.display(wheelhouse)} is up to date")
        return wheelhouse
    wheelhouse.mkdir(parents=True, exist_ok=True)
    marker = wheelhouse / REQUIREMENTS
    marker.unlink(missing_ok=True)
    pending = wheelhouse / f".{REQUIREMENTS}.pending"
    pending.write_text(text, encoding="utf-8")
    command = proc.python_tool("pip", "wheel", "--disable-pip-version-check", "--quiet",
                               "--wheel-dir", str(wheelhouse), "-r", str(pending))
    if proc.run(command, cwd=config.root) != 0:
        raise StageFailed("pip wheel could not build the wheelhouse for the app's requirements")
    pending.replace(marker)
    return wheelhouse
