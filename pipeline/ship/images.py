"""Building the service's image: tagged with its version, its commit and ``latest``.

The Dockerfile is the service's own (the configuration's ``dockerfile``) or, when that is
empty, the library's template (pipeline/templates/Dockerfile), rendered from the configuration:
what the template knows of a service is only what the service contract says (its wheelhouse,
``image_paths``, ``port``, ``command`` or ``wsgi``). Either way the build arguments bake what
changes every build: the version, its build number, the commit, the time and the source.
"""
import io
import json
import re
import shlex
import tempfile
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path, PurePosixPath
from typing import Any

from pipeline.core import proc
from pipeline.core.config import Config
from pipeline.core.errors import InputError, StageFailed
from pipeline.core.version import Version, read_version
from pipeline.ship import wheelhouse
from pipeline.ship.settings import TEMPLATE_DOCKERFILE, ShipSettings

UNKNOWN_COMMIT = "unknown"
SOURCE_URL_KEY = "source_url"
# Where the template puts the service's code, its working directory.
CODE_DIR = PurePosixPath("/srv")
# What every build context leaves out, before the service's own .dockerignore (which may bring
# a path back with '!'): history, virtualenvs and caches, and (from the configuration) its
# reports, its inventories (vault files included) and the build output but the wheelhouse. None
# of it belongs in an image layer.
DEFAULT_IGNORED = (".git", ".venv", "venv", "**/__pycache__", "**/*.pyc", ".mypy_cache",
                   ".pytest_cache", ".coverage", ".coverage.*", "htmlcov", "node_modules")
# The name the rendered Dockerfile has inside the context it is sent with.
CONTEXT_DOCKERFILE = ".pipeline.Dockerfile"
# A template line ``# pipeline:KEY`` says: the next instruction is the configuration's KEY.
_MARKER = re.compile(r"# pipeline:(?P<key>[a-z_]+)")


@dataclass(frozen=True)
class BuiltImage:
    """What the build produced: its id, size and every reference it is tagged with."""

    image_id: str
    size: int
    references: tuple[str, ...]


def image_tags(version: Version, commit: str) -> tuple[str, ...]:
    """``X.Y.Z-build.N``, ``git-<short sha>`` (when the commit is known) and ``latest``."""
    tags = [version.docker_tag]
    if commit != UNKNOWN_COMMIT:
        tags.append(f"git-{commit[:7]}")
    tags.append("latest")
    return tuple(tags)


def build_args(version: Version, commit: str, built_at: str, base: str, source: str,
               title: str) -> dict[str, str]:
    """The Dockerfile's arguments: the base and what the image bakes about itself (the build
    number apart, so a service, which cannot import this package, never parses the version)."""
    return {"BASE_IMAGE": base, "APP_VERSION": str(version), "APP_BUILD": str(version.build),
            "APP_COMMIT": commit, "APP_BUILT_AT": built_at, "APP_SOURCE": source,
            "IMAGE_TITLE": title}


def service_command(config: Config) -> list[str]:
    """What the container runs: ``command``, else gunicorn serving ``wsgi`` on ``port``."""
    command = config.text("command")
    if command:
        try:
            return shlex.split(command)
        except ValueError as error:
            raise InputError(f"{config.where('command')}: {error}") from None
    wsgi = config.text("wsgi")
    if not wsgi:
        raise InputError(f"{config.where('command')}: empty, and so is wsgi: set the command "
                         "the container runs, or the WSGI application (module:callable)")
    return ["gunicorn", "--bind", f"0.0.0.0:{service_port(config)}", wsgi]


def service_port(config: Config) -> int:
    """The port the service listens on in its container."""
    port = config.number("port")
    if not 0 < port < 65536:
        raise InputError(f"{config.where('port')}: {port} is not a TCP port")
    return port


def copy_instructions(paths: Iterable[str]) -> list[str]:
    """One COPY per ``image_paths`` entry, to the same place under /srv (``.``: all of it)."""
    instructions = []
    for path in paths:
        relative = PurePosixPath(path)
        if relative.is_absolute() or ".." in relative.parts:
            raise InputError(f"image_paths: {path} is outside the service's folder")
        instructions.append(f"COPY {json.dumps([str(relative), str(CODE_DIR / relative)])}")
    return instructions


def context_path(config: Config, path: Path, key: str) -> PurePosixPath:
    """``path`` as the build context sees it: it must be inside the service's folder."""
    if not path.is_relative_to(config.root):
        raise InputError(f"{config.where(key)}: {path} is outside {config.root}, the build "
                         "context")
    return PurePosixPath(path.relative_to(config.root).as_posix())


def template_instructions(config: Config, wheels: Path) -> dict[str, list[str]]:
    """What replaces each ``# pipeline:KEY`` instruction of the template."""
    config.existing_paths("image_paths")
    return {"wheelhouse": [f"COPY {context_path(config, wheels, 'wheelhouse_dir')}/ /wheelhouse/"],
            "copy": copy_instructions(config.items("image_paths")),
            "port": [f"EXPOSE {service_port(config)}"],
            "command": [f"CMD {json.dumps(service_command(config))}"]}


def render(template: str, instructions: Mapping[str, list[str]]) -> str:
    """``template`` with the instruction after each marker replaced; every key used once."""
    lines: list[str] = []
    used: list[str] = []
    source = iter(template.splitlines())
    for line in source:
        lines.append(line)
        marker = _MARKER.match(line)
        if marker:
            used.append(marker["key"])
            lines.extend(instructions[marker["key"]])
            next(source)
    if sorted(used) != sorted(instructions):
        raise ValueError(f"the template's markers {used} do not match {sorted(instructions)}")
    return "\n".join(lines) + "\n"


def dockerfile(config: Config, settings: ShipSettings, directory: Path) -> Path:
    """The service's own Dockerfile, or the template rendered into ``directory``."""
    if settings.dockerfile != TEMPLATE_DOCKERFILE:
        return settings.dockerfile
    rendered = directory / "Dockerfile"
    text = render(TEMPLATE_DOCKERFILE.read_text(encoding="utf-8"),
                  template_instructions(config, settings.wheelhouse))
    rendered.write_text(text, encoding="utf-8")
    return rendered


def current_commit(config: Config) -> str:
    """The checkout's full commit id, or ``unknown`` outside a git checkout."""
    output = io.StringIO()
    code = proc.run(["git", "rev-parse", "--verify", "HEAD"], cwd=config.root, out=output)
    commit = output.getvalue().strip()
    return commit if code == 0 and commit else UNKNOWN_COMMIT


def human_size(size: int) -> str:
    """Bytes as the engine's CLI shows them (MB, decimal)."""
    return f"{size / 1_000_000:.1f}MB"


def build(config: Config, no_cache: bool = False) -> BuiltImage:
    """Prepare the wheelhouse, build the image with streamed progress, tag it, report it."""
    from pipeline.ship import engine  # the docker SDK: the deploy extra, only when building

    settings = ShipSettings.from_config(config)
    version = read_version(config)
    commit = current_commit(config)
    wheelhouse.prepare(config, settings.wheelhouse)
    client = engine.connect()
    base = engine.pick_base_image(client, settings.base_image, settings.base_image_fallback)
    built_at = datetime.now(timezone.utc).replace(microsecond=0).isoformat()
    references = tuple(f"{settings.image_name}:{tag}" for tag in image_tags(version, commit))
    args = build_args(version, commit, built_at, base, config.get(SOURCE_URL_KEY, UNKNOWN_COMMIT),
                      settings.image_name)
    with tempfile.TemporaryDirectory(prefix="pipeline-build-") as directory:
        # Rendered outside the service's folder, and sent inside the context.
        path = dockerfile(config, settings, Path(directory))
        context = build_context(config, settings, path.read_text(encoding="utf-8"))
        image_id = _build(client, context, references[0], args, no_cache)
    image = client.images.get(image_id)
    for reference in references[1:]:
        repository, tag = engine.split_reference(reference)
        image.tag(repository, tag=tag)
    built = BuiltImage(image.id, int(image.attrs["Size"]), references)
    source = ("the library's template" if settings.dockerfile == TEMPLATE_DOCKERFILE
              else config.display(settings.dockerfile))
    print(f"built {built.image_id} ({human_size(built.size)}) from base {base} and {source}")
    for reference in references:
        print(f"  tagged {reference}")
    return built


def ignored(config: Config, settings: ShipSettings) -> list[str]:
    """The context's exclusions: the library's, then the service's .dockerignore."""
    inside = [path.relative_to(config.root).as_posix()
              for path in (config.reports_dir, settings.inventories)
              if path.is_relative_to(config.root)]
    wheels = context_path(config, settings.wheelhouse, "wheelhouse_dir")
    own = config.root / ".dockerignore"
    lines = (line.strip() for line in
             (own.read_text(encoding="utf-8").splitlines() if own.is_file() else ()))
    return [*DEFAULT_IGNORED, *inside, wheels.parts[0], f"!{wheels}",
            *(line for line in lines if line and not line.startswith("#"))]


def build_context(config: Config, settings: ShipSettings, dockerfile_text: str) -> Any:
    """The service's folder as the tar the engine builds from, less what ``ignored`` leaves
    out, with the Dockerfile as CONTEXT_DOCKERFILE."""
    from docker.utils.build import tar  # the deploy extra, only when building

    return tar(str(config.root), exclude=ignored(config, settings),
               dockerfile=(CONTEXT_DOCKERFILE, dockerfile_text))


def _build(client: Any, context: Any, tag: str, args: dict[str, str], no_cache: bool) -> str:
    """Run the build, streaming its progress; the new image's id."""
    from pipeline.ship import engine

    chunks = client.api.build(fileobj=context, custom_context=True, dockerfile=CONTEXT_DOCKERFILE,
                              tag=tag, buildargs=args, rm=True, forcerm=True, pull=False,
                              nocache=no_cache, decode=True)
    image_id = ""
    for chunk in engine.stream_progress(chunks, "docker build"):
        image_id = chunk.get("aux", {}).get("ID", image_id)
    if not image_id:
        raise StageFailed("docker build finished without an image id")
    return image_id
