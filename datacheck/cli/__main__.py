"""``python -m datacheck.cli``: the datacheck command."""

from __future__ import annotations

import sys

from datacheck.cli import main

sys.exit(main())
