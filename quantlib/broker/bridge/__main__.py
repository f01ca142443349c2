"""``python -m quantlib.broker.bridge``: run the bridge server (see :mod:`.cli`)."""

from __future__ import annotations

import sys

from quantlib.broker.bridge.cli import main

if __name__ == "__main__":
    sys.exit(main())
