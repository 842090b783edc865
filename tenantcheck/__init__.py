"""tenantcheck: a black-box tenant-isolation conformance harness for multi-tenant HTTP services."""

__version__ = "0.1.0"
