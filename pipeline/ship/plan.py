"""What a deploy would do, as plan.yml reports it: ``pipeline deploy ENV --plan``.

Jenkins shows the text in its approval prompt and archives the JSON (``--json-file``).
"""
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pipeline.core.files import write_atomic
from pipeline.ship.report import Fields


@dataclass(frozen=True)
class Step:
    """One pending migration: its revision and its kind (expand, contract...)."""

    revision: str
    kind: str


@dataclass(frozen=True)
class Migrations:
    """The schema's revision now and after the deploy; ``pending`` is None when the database
    is at a revision this release does not know (a newer release migrated it)."""

    current: str
    target: str
    pending: tuple[Step, ...] | None


@dataclass(frozen=True)
class Plan:
    """The build and image a deploy ships, what each app host serves now, the migrations."""

    build: int
    image: str
    image_from: dict[str, str]
    migrations: Migrations

    @classmethod
    def from_report(cls, found: dict[str, Any]) -> "Plan":
        """The plan in plan.yml's report (its files by name)."""
        plan = Fields("plan.yml", "plan.json", found.get("plan"))
        migrations = plan.child("migrations")
        pending = migrations.optional_children("pending")
        return cls(build=plan.integer("build"), image=plan.text("image"),
                   image_from=plan.child("image_from").scalars(str),
                   migrations=Migrations(
                       current=migrations.text("current"), target=migrations.text("target"),
                       pending=None if pending is None else tuple(
                           Step(step.text("revision"), step.text("kind")) for step in pending)))

    def as_json(self) -> dict[str, Any]:
        """The plan as plan.yml wrote it."""
        pending = self.migrations.pending
        return {"build": self.build, "image": self.image, "image_from": dict(self.image_from),
                "migrations": {"current": self.migrations.current,
                               "target": self.migrations.target,
                               "pending": None if pending is None else [
                                   {"revision": step.revision, "kind": step.kind}
                                   for step in pending]}}


def plan_lines(plan: Plan) -> list[str]:
    """The plan as people read it: per host the image from -> to, migrations, what restarts."""
    lines = [f"deploy build {plan.build}: {plan.image}"]
    changing = []
    for host, image_from in sorted(plan.image_from.items()):
        if image_from == plan.image:
            lines.append(f"  {host}: already serves it, nothing to do")
        else:
            changing.append(host)
            lines.append(f"  {host}: {image_from or 'nothing'} -> {plan.image}")
    migrations = plan.migrations
    if migrations.pending is None:
        lines.append(f"migrations: the database is at {migrations.current}, which this "
                     "release does not know (a newer release migrated it)")
    elif migrations.pending:
        steps = ", ".join(f"{step.revision} ({step.kind})" for step in migrations.pending)
        lines.append(f"migrations: {migrations.current or 'empty'} -> {migrations.target}"
                     f": {steps} (backup first, then migrate once)")
        if any(step.kind == "contract" for step in migrations.pending):
            lines.append("  a contract step: the serving release cannot run after it; "
                         "deploy with --allow-contract once nothing older serves")
    else:
        lines.append(f"migrations: none (schema at {migrations.current or 'empty'})")
    lines.append(f"restarts: the app on {', '.join(changing)}, one host at a time"
                 if changing else "restarts: nothing")
    return lines


def print_plan(plan: Plan, as_json: bool, json_file: Path | None = None) -> None:
    """Print the plan, as text or as one JSON object; ``json_file`` also gets the JSON, written
    at once (Jenkins shows the text in its prompt and archives the file)."""
    as_text = json.dumps(plan.as_json(), indent=1, sort_keys=True)
    if json_file is not None:
        write_atomic(json_file, as_text + "\n")
    print(as_text if as_json else "\n".join(plan_lines(plan)))
