"""``python -m datacheck``: the datacheck command."""

from __future__ import annotations

import sys

from datacheck.cli import main

sys.exit(main())
