"""The push stage: the built image's tags to the deploy environment's registry."""
from pipeline.core.config import Config
from pipeline.stages.registry import Stage, register


def push(config: Config) -> None:
    """Push the tags (the docker SDK is imported only now: it comes with the deploy extra)."""
    from pipeline.ship import push as ship_push

    ship_push.push(config)


register(Stage(name="push", summary="push the image's tags to the deploy environment's registry "
               "(its inventory's registry_address)", run=push, extra="deploy"))
