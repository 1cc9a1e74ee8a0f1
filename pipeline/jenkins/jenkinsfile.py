"""What the Jenkinsfile declares it needs from Jenkins, read from its ``@Field`` constants.

The Jenkinsfile must know its agent labels, credential ids, approvers and the deploy job before
it has a node to read any file on, so those facts live in it, as plain
``@Field final String NAME = 'value'`` lines; the controller's definition reads them from
there instead of keeping a second copy.
"""
import re
from dataclasses import dataclass, fields
from pathlib import Path

from pipeline.core.errors import InputError

CONSTANT = re.compile(r"^@Field final String (?P<name>[A-Z_]+) = '(?P<value>[^'\\]*)'$", re.M)


@dataclass(frozen=True)
class Declarations:
    """The Jenkinsfile's constants; each field is the constant of the same name in capitals."""

    main_branch: str
    deploy_job: str
    agent_label: str
    docker_label: str
    deploy_label: str
    approvers: str
    registry_credentials: str
    vault_credentials: str
    ssh_credentials: str

    @classmethod
    def read(cls, jenkinsfile: Path) -> "Declarations":
        """Every constant, required and non-empty; a missing one names itself and the file."""
        try:
            text = jenkinsfile.read_text(encoding="utf-8")
        except OSError as error:
            raise InputError(f"cannot read {jenkinsfile}: {error.strerror}") from error
        declared = {match["name"]: match["value"] for match in CONSTANT.finditer(text)}
        values = {}
        for field in fields(cls):
            name = field.name.upper()
            if not declared.get(name, "").strip():
                raise InputError(f"{jenkinsfile}: no \"@Field final String {name} = '...'\"")
            values[field.name] = declared[name].strip()
        return cls(**values)

    @property
    def approver_ids(self) -> tuple[str, ...]:
        """The user ids of ``input``'s submitter list, as Jenkins splits it (comma, trimmed)."""
        return tuple(user.strip() for user in self.approvers.split(",") if user.strip())
