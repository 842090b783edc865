"""Environment templates: where a run goes. Shipped in the wheel as ``tenantcheck.environments``."""
