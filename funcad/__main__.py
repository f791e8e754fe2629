"""``python -m funcad``: the command line (see :mod:`funcad.cli`)."""
from .cli import main

raise SystemExit(main())
