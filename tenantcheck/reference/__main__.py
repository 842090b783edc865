"""`python -m tenantcheck.reference serve ...`."""

from __future__ import annotations

import sys

from tenantcheck.reference.cli import main

if __name__ == "__main__":
    sys.exit(main())
