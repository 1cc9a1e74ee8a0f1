"""Secret values to mask in everything a stage prints or writes.

A secret is any environment variable whose name says it is one (``*_TOKEN``, ``*_PASSWORD``,
...); Jenkins' ``withCredentials`` exports credentials exactly that way.
"""
import os
import re
from typing import Iterable, Mapping

SECRET_NAME = re.compile(
    r"(TOKEN|PASSWORD|PASSWD|SECRET|API_KEY|PRIVATE_KEY|CREDENTIALS?)$|^VAULT_", re.IGNORECASE)
MASK = "****"
# Shorter values would mask innocent text ("1", "yes") and reveal more than they hide.
MIN_SECRET_LENGTH = 4


def secret_values(environ: Mapping[str, str] | None = None) -> list[str]:
    """Values of the secret-named variables, longest first so overlapping ones mask whole.

    Output is masked line by line, so a multi-line secret (a private key) counts as each of
    its lines.
    """
    env = os.environ if environ is None else environ
    values = {line.strip() for name, value in env.items() if SECRET_NAME.search(name)
              for line in value.splitlines()}
    return sorted((value for value in values if len(value) >= MIN_SECRET_LENGTH),
                  key=len, reverse=True)


def mask(text: str, secrets: Iterable[str]) -> str:
    """Replace every occurrence of every secret with ``****``."""
    for secret in secrets:
        text = text.replace(secret, MASK)
    return text
