"""Profiles: what a target's API looks like. Shipped in the wheel as ``tenantcheck.profiles`` (package data)."""
