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
    """Values of the secret-named variables, longest first so overlapping ones mask whole."""
    env = os.environ if environ is None else environ
    values = {value for name, value in env.items()
              if SECRET_NAME.search(name) and len(value) >= MIN_SECRET_LENGTH}
    return sorted(values, key=len, reverse=True)


def mask(text: str, secrets: Iterable[str]) -> str:
    """Replace every occurrence of every secret with ``****``."""
    for secret in secrets:
        text = text.replace(secret, MASK)
    return text
