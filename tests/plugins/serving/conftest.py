"""Shared set-up of the serving plugin's tests: ``serving_nets`` importable, full references."""

from __future__ import annotations

import sys
from pathlib import Path

HERE = Path(__file__).parent
if str(HERE) not in sys.path:
    sys.path.insert(0, str(HERE))
