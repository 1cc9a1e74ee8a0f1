"""The build stage: the service's Docker image, tagged with its version, commit and ``latest``."""
from pipeline.core.config import Config
from pipeline.stages.registry import Stage, register


def build(config: Config) -> None:
    """Build the image (the docker SDK is imported only now: it comes with the deploy extra)."""
    from pipeline.ship import images

    images.build(config)


register(Stage(name="build", summary="build the app's Docker image from a local wheelhouse",
               run=build, extra="deploy"))
