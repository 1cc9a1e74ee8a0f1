"""Building the app's image: tagged with its version, its commit and ``latest``."""
import io
from dataclasses import dataclass
from datetime import datetime, timezone

from pipeline.core import proc
from pipeline.core.config import Config
from pipeline.core.errors import StageFailed
from pipeline.core.version import Version, read_version
from pipeline.ship import wheelhouse
from pipeline.ship.settings import ShipSettings

UNKNOWN_COMMIT = "unknown"
SOURCE_URL_KEY = "source_url"


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


def build_args(version: Version, commit: str, built_at: str, base: str,
               source: str) -> dict[str, str]:
    """The Dockerfile's arguments: the base and what the image bakes about itself (the build
    number apart, so the app, which cannot import this package, never parses the version)."""
    return {"BASE_IMAGE": base, "APP_VERSION": str(version), "APP_BUILD": str(version.build),
            "APP_COMMIT": commit, "APP_BUILT_AT": built_at, "APP_SOURCE": source}


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
    references = tuple(f"{settings.repository}:{tag}" for tag in image_tags(version, commit))
    args = build_args(version, commit, built_at, base, config.get(SOURCE_URL_KEY, UNKNOWN_COMMIT))
    chunks = client.api.build(path=str(config.root),
                              dockerfile=str(settings.dockerfile.relative_to(config.root)),
                              tag=references[0], buildargs=args, rm=True, forcerm=True,
                              pull=False, nocache=no_cache, decode=True)
    image_id = ""
    for chunk in engine.stream_progress(chunks, "docker build"):
        image_id = chunk.get("aux", {}).get("ID", image_id)
    if not image_id:
        raise StageFailed("docker build finished without an image id")
    image = client.images.get(image_id)
    for reference in references[1:]:
        repository, tag = engine.split_reference(reference)
        image.tag(repository, tag=tag)
    built = BuiltImage(image.id, int(image.attrs["Size"]), references)
    print(f"built {built.image_id} ({human_size(built.size)}) from base {base}")
    for reference in references:
        print(f"  tagged {reference}")
    return built
