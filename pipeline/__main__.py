"""``python -m pipeline``: the form every Jenkins stage calls."""
import sys

from pipeline.cli import main

sys.exit(main())
