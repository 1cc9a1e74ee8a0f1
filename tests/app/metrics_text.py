"""Reading samples out of Prometheus' text format in the app's tests."""
import re


def sample(text: str, name: str) -> float | None:
    """The value of the sample written exactly as ``name`` (with its labels), if present."""
    match = re.search(rf"^{re.escape(name)} (\S+)$", text, re.MULTILINE)
    return float(match.group(1)) if match else None
