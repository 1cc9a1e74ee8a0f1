"""``pipeline config get|show``: the resolved configuration, for people and for scripts.

So the Makefile and the Jenkinsfile read a key (``reports_dir``) instead of repeating it, and a
person sees which value is in force and why: the default, the file, or a ``PIPELINE_*``
variable.
"""
import argparse
from pathlib import Path

from pipeline.configuration.schema import BY_NAME, KEYS
from pipeline.core import output
from pipeline.core.config import Config
from pipeline.core.errors import InputError
from pipeline.configuration.loader import Value, suggestion

ORDER = 20


def register(subparsers: "argparse._SubParsersAction[argparse.ArgumentParser]") -> None:
    """Add ``config get`` and ``config show``."""
    parser = subparsers.add_parser(
        "config", help="print the resolved configuration: one key, or every key and its source",
        description="The configuration is [tool.pipeline] in pyproject.toml or [pipeline] in "
                    "setup.cfg; any key can be overridden as PIPELINE_<KEY>. Paths print "
                    "relative to the repository when inside it.")
    actions = parser.add_subparsers(dest="action", metavar="ACTION", required=True)
    get = actions.add_parser(
        "get", help="print one key's value (a list: one item per line)",
        description="Print one key's resolved value, for scripts: "
                    "REPORTS=$(pipeline config get reports_dir).")
    get.add_argument("key", metavar="KEY")
    get.set_defaults(handler=_get)
    show = actions.add_parser(
        "show", help="print every key, its value and where it came from",
        description="Every key of the schema in order, with its value and its source: "
                    "default, the configuration file, or the PIPELINE_* variable.")
    show.add_argument("--json", action="store_true",
                      help="a JSON list of {key, value, source, where}")
    show.set_defaults(handler=_show)


def text(config: Config, value: Value) -> str:
    """A value as a script reads it: a path relative to the repository when inside it, a list
    one item per line, a flag as true or false, nothing for an empty path."""
    if isinstance(value, Path):
        return config.display(value)
    if isinstance(value, tuple):
        return "\n".join(value)
    if isinstance(value, bool):
        return str(value).lower()
    return "" if value is None else str(value)


def _get(config: Config, args: argparse.Namespace) -> None:
    if args.key not in BY_NAME:
        raise InputError(f"unknown key {args.key!r}{suggestion(args.key, BY_NAME, repr)}")
    print(text(config, config.value(args.key)))


def _show(config: Config, args: argparse.Namespace) -> None:
    settings = [config.settings[key.name] for key in KEYS]
    if args.json:
        print(output.to_json([{"key": setting.key.name, "value": _plain(config, setting.value),
                               "source": setting.source, "where": setting.where}
                              for setting in settings]), end="")
        return
    print(f"configuration: {config.display(config.source.path)} [{config.source.table}]")
    print(output.table(("key", "value", "from"),
                       [(setting.key.name, text(config, setting.value).replace("\n", ", "),
                         setting.where) for setting in settings]))


def _plain(config: Config, value: Value) -> object:
    """A value as JSON holds it: paths as ``config get`` prints them, lists as arrays."""
    if isinstance(value, Path):
        return config.display(value)
    return list(value) if isinstance(value, tuple) else value
