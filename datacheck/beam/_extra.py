"""The check that Apache Beam is installed, run before anything else in ``datacheck.beam``."""

from __future__ import annotations

import logging

from datacheck.errors import MissingExtraError

__all__: list[str] = []

# Importing Beam warns about Google Cloud client libraries datacheck does not use.
logging.disable(logging.WARNING)
try:
    import apache_beam  # noqa: F401  # imported only to tell whether the extra is installed
except ImportError:
    raise MissingExtraError("apache_beam", "beam") from None
finally:
    logging.disable(logging.NOTSET)
