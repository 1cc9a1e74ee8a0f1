"""The benchmarks' command lines: ``--help`` prints what a benchmark measures, and runs nothing."""
import argparse


def parser(module: str, doc: str | None) -> argparse.ArgumentParser:
    """The parser of ``python -m MODULE``, described by the module's docstring."""
    return argparse.ArgumentParser(prog=f"python -m {module}", description=doc,
                                   formatter_class=argparse.RawDescriptionHelpFormatter)
