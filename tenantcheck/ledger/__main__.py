"""`python -m tenantcheck.ledger serve ...`."""

from __future__ import annotations

import sys

from tenantcheck.ledger.cli import main

if __name__ == "__main__":
    sys.exit(main())
