"""The conformance suites: one module per case family. Shipped in the wheel as ``tenantcheck.suites``."""
