"""The ``push`` stage: the built image's tags to the configured registry."""
from pipeline.ship import images
from pipeline.core.config import Config
from pipeline.core.errors import InputError, StageFailed
from pipeline.ship.settings import ShipSettings
from pipeline.core.version import read_version


def push(config: Config) -> tuple[str, ...]:
    """Push ``X.Y.Z-build.N``, ``git-<sha>`` and ``latest``; return the references pushed."""
    from pipeline.ship import engine  # the docker SDK: the deploy extra, only when pushing

    settings = ShipSettings.from_config(config)
    if not settings.registry:
        raise InputError("setup.cfg [pipeline] registry: no registry configured to push to")
    client = engine.connect()
    tags = images.image_tags(read_version(config), images.current_commit(config))
    pushed = []
    for tag in tags:
        reference = f"{settings.repository}:{tag}"
        if not engine.has_image(client, reference):
            raise StageFailed(f"no local image {reference}: run the build stage first")
        chunks = client.api.push(settings.repository, tag=tag, stream=True, decode=True)
        for _ in engine.stream_progress(chunks, f"docker push {reference} to {settings.registry}"):
            pass
        pushed.append(reference)
        print(f"pushed {reference}")
    return tuple(pushed)
