"""The deploy stage: the built image to setup.cfg's ``deploy_environment``, with Ansible."""
from pipeline.core.config import Config
from pipeline.stages.registry import Stage, register


def deploy(config: Config) -> None:
    """Deploy to the configured environment (Ansible comes with the deploy extra)."""
    from pipeline.ship import deploy as ship_deploy
    from pipeline.ship.settings import ShipSettings

    ship_deploy.deploy(config, ShipSettings.from_config(config).deploy_environment)


register(Stage(name="deploy", summary="deploy the built image with Ansible (setup.cfg "
               "deploy_environment)", run=deploy, extra="deploy"))
