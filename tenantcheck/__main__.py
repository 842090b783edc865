"""``python -m tenantcheck``: the same as the ``tenantcheck`` console script."""

from tenantcheck.commands.cli import main

raise SystemExit(main())
