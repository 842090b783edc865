"""tenantcheck: a black-box tenant-isolation conformance harness for multi-tenant HTTP services.

PYTEST_DONT_REWRITE: `tenantcheck run` imports this package before pytest loads the plugin entry point,
so pytest must not try (and warn about failing) to rewrite its asserts.
"""

__version__ = "0.1.0"
