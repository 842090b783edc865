"""The run id: part of every tenant id a run creates, of its report folder and of its run record.

It is checked before anything is written or sent, so a value like ``../../x`` never becomes a path and
``ABC DEF`` never reaches the target. Tenant ids are ``tc-<run-id>[-w<N>]-<suffix>`` (see
``tenantcheck.engine.tenants.planned_ids``) and must match ``^[a-z0-9][a-z0-9-]{2,63}$``: with the
longest run id (32 characters), an xdist worker infix (``-w999``) and the longest suffix (``-azz`` at 702
tenants) an id is 44 characters, well inside 64.
"""

from __future__ import annotations

import argparse
import re

from tenantcheck.errors import ConfigError

RUN_ID = re.compile(r"^[a-z0-9][a-z0-9-]{2,31}$")
RULE = f"3 to 32 lowercase letters, digits and '-', starting with a letter or digit ({RUN_ID.pattern})"


def check_run_id(value: str) -> str:
    """``value`` if it is a valid run id, else a ``ConfigError`` naming the pattern."""
    if not RUN_ID.fullmatch(value):
        raise ConfigError(f"{value!r} is not a run id: use {RULE}")
    return value


def run_id_argument(value: str) -> str:
    """argparse ``type`` of ``--run-id``: a bad id is a usage error naming the option and the pattern."""
    try:
        return check_run_id(value)
    except ConfigError as error:
        raise argparse.ArgumentTypeError(str(error)) from None
