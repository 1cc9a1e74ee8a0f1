"""``pipeline run``: every configured stage, in order, as Jenkins would run them."""
import argparse

from pipeline.core.config import Config, split_list
from pipeline.runner import run_pipeline

ORDER = 0


def register(subparsers: "argparse._SubParsersAction[argparse.ArgumentParser]") -> None:
    """Add ``run``."""
    parser = subparsers.add_parser(
        "run", help="run the stages in order, as Jenkins does, with a summary at the end",
        description="Run the stages the configuration's stages key lists (or $PIPELINE_STAGES) "
                    "in order, streaming their output, then print a summary table and write "
                    "pipeline.json in reports_dir (default reports/). Stops at the first "
                    "failure unless --keep-going.")
    parser.add_argument("--stages", metavar="A,B,...", type=split_list,
                        help="run only these stages, in this order")
    parser.add_argument("--keep-going", action="store_true",
                        help="run the remaining stages after a failure (the exit code still "
                             "reports it)")
    parser.add_argument("--json", action="store_true",
                        help="print the stage table as JSON on stdout (stage output goes to "
                             "stderr)")
    parser.set_defaults(handler=_run)


def _run(config: Config, args: argparse.Namespace) -> None:
    run_pipeline(config, args.stages, keep_going=args.keep_going, as_json=args.json)
