"""``pipeline init`` as a plain function: settle the answers, plan the files, write them all,
then say what was written and what to run next."""
from pathlib import Path

from pipeline.init.answers import Flags, settle
from pipeline.init.plan import plan

NEXT = ("pipeline check", "pipeline run")


def init(root: Path, flags: Flags, force: bool) -> None:
    """Adopt the pipeline in the repository at ``root``."""
    answers = settle(root, flags)
    files = plan(answers)
    files.write(force)
    print(f"{answers.name}: {answers.wsgi}, dependencies from {answers.requirements}, "
          f"version {answers.version}")
    for path in files.files:
        print(f"wrote {path}")
    active = answers.settings()
    print(f"{answers.config_file}: {len(active)} keys set, the others documented with their "
          "defaults:")
    for key, value in active.items():
        print(f"  {key} = {value}")
    print(f"next: {NEXT[0]}, then {NEXT[1]}")
