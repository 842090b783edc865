"""The harness's exceptions, drawn once.

    TenantcheckError
    ├── ConfigError          bad environment/profile/option: exit 3, message names file and key
    └── CheckStop            ends one check early with a verdict other than "passed"
        ├── Inconclusive     the check could not be made (setup, positive control, target error)
        │   └── TargetError  the target did not answer usefully after the retry budget
        └── NotApplicable    the profile or environment lacks what the check needs

A finding (a failed oracle) is not an exception of its own: checks record it and fail with a plain
``AssertionError`` so pytest shows a readable message.
"""

from __future__ import annotations


class TenantcheckError(Exception):
    """Base class of the harness's own errors."""


class ConfigError(TenantcheckError):
    """An environment, profile or option is wrong; the message says where and how to fix it."""


class CheckStop(TenantcheckError):
    """Stops a check with a verdict that is not a pass."""

    verdict = "inconclusive"


class Inconclusive(CheckStop):
    """The check could not decide: never evidence of isolation."""


class TargetError(Inconclusive):
    """The target failed to answer (connection error, timeout, 5xx after retries)."""


class NotApplicable(CheckStop):
    """The profile or environment does not have what this check needs."""

    verdict = "not-applicable"
