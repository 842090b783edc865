"""The engine: HTTP actors, tenants and their seeded objects, canary markers, redaction, the running check."""
