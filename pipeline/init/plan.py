"""What ``init`` writes, decided in full before a byte is written: every target is checked
first, so a refusal leaves the repository exactly as it was.
"""
from dataclasses import dataclass
from pathlib import Path

from pipeline.configuration.schema import BY_NAME
from pipeline.core.errors import InputError
from pipeline.core.files import write_atomic
from pipeline.init import block, inventory
from pipeline.init.answers import JENKINSFILE, VERSION_FILE, Answers
from pipeline.init.jenkinsfile import JenkinsfileValues, render
from pipeline.init.project import PYPROJECT

INVENTORIES = Path(BY_NAME["inventories_dir"].default)


@dataclass(frozen=True)
class Plan:
    """Files to write (relative path -> text) and those of them that already exist."""

    root: Path
    files: dict[Path, str]
    existing: tuple[str, ...]

    def write(self, force: bool) -> None:
        """Every file, or none: an existing one without ``force`` refuses them all."""
        if self.existing and not force:
            more = f" (and {len(self.existing) - 1} more)" if len(self.existing) > 1 else ""
            raise InputError(f"{self.existing[0]} exists{more}: nothing written; --force "
                             "overwrites")
        for path, text in self.files.items():
            write_atomic(self.root / path, text)


def plan(answers: Answers) -> Plan:
    """The files ``answers`` make, and which of them would overwrite something."""
    root = answers.root
    toml = answers.config_file == PYPROJECT
    config_path = root / answers.config_file
    current = config_path.read_text(encoding="utf-8") if config_path.is_file() else ""
    rendered = block.render(answers.settings(), toml)
    files = {Path(answers.config_file): block.place(current, rendered, toml)}
    if answers.write_version:
        files[Path(VERSION_FILE)] = answers.version + "\n"
    files[Path(JENKINSFILE)] = render(JenkinsfileValues.of(
        answers.name, answers.main_branch, answers.setup_command, answers.integration_command,
        BY_NAME["reports_dir"].default, VERSION_FILE))
    ports = inventory.LocalPorts.of(answers.proxy_port or inventory.DEFAULT_PROXY_PORT)
    files |= {INVENTORIES / "local" / name: text
              for name, text in inventory.local(answers.name, ports).items()}
    for environment in inventory.EXAMPLES:
        files |= {INVENTORIES / inventory.EXAMPLES_DIR / environment / name: text
                  for name, text in inventory.example(answers.name, environment).items()}
    existing = [f"{answers.config_file} {block.section(toml)}"] \
        if block.has_block(current, toml) else []
    existing += [str(path) for path in files
                 if path != Path(answers.config_file) and (root / path).exists()]
    return Plan(root, files, tuple(existing))
