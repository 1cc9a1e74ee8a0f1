"""``pipeline <stage>`` for every registered stage that no other module gives a command.

So a new stage module is a new command with no change here; stages whose commands take
arguments (``version build``, ``build --no-cache``, ``deploy ENV``) have their own modules.
"""
import argparse

from pipeline.core.config import Config
from pipeline.runner import load_stages

# After every other module: a stage with a command of its own keeps it.
ORDER = 90


def register(subparsers: "argparse._SubParsersAction[argparse.ArgumentParser]") -> None:
    """Add one command per stage that has none yet."""
    for name, stage in load_stages().items():
        if name not in subparsers.choices:
            parser = subparsers.add_parser(name, help=stage.summary,
                                           description=stage.description or stage.summary)
            parser.set_defaults(handler=_run_stage, stage=name)


def _run_stage(config: Config, args: argparse.Namespace) -> None:
    load_stages()[args.stage].run(config)
