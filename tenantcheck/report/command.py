"""``tenantcheck report PATH.json``: render ``index.html`` and ``junit.xml`` again from a JSON report.

Useful for a report downloaded from CI, or one written by an older tenantcheck of the same schema major
version: the JSON is the source of truth and is left as it is.
"""

from __future__ import annotations

import sys
from pathlib import Path

from tenantcheck.errors import ConfigError
from tenantcheck.report import write_views
from tenantcheck.report.gating import load_report
from tenantcheck.verdict import EXIT_CONFIG


def report_main(path: str) -> int:
    """Re-render the views next to ``path``; prints the HTML path. 0 on success, 3 on bad input."""
    source = Path(path)
    try:
        document = load_report(source)
        paths = write_views(source.parent, document)
    except ConfigError as error:
        print(f"tenantcheck: {error}", file=sys.stderr)
        return EXIT_CONFIG
    except OSError as error:
        print(f"tenantcheck: cannot write the views next to {source}: {error}", file=sys.stderr)
        return EXIT_CONFIG
    except (KeyError, TypeError, AttributeError, ValueError) as error:
        # A hand-edited or truncated report: say which file, not a traceback.
        print(f"tenantcheck: {source}: not a well-formed tenantcheck report ({type(error).__name__}: {error})",
              file=sys.stderr)
        return EXIT_CONFIG
    print(paths["html"])
    return 0
