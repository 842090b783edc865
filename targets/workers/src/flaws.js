// The isolation flaws this Worker can switch on (the reference target's names, FLAWS.md), read from the
// FLAWS var ("a,b"). The Worker is correct without them; each name breaks exactly one rule, so a finding on
// a flawed run can only come from that flaw. restore-* flaws are absent: this target has no backup/restore.
export const FLAWS = {
  "list-unfiltered": "GET /api/projects forgets the tenant filter",
  "get-unchecked": "GET /api/projects/{id} does not check the owner",
  "update-unchecked": "PUT /api/projects/{id} does not check the owner (GET still does)",
  "delete-unchecked": "DELETE /api/projects/{id} does not check the owner",
  "deployments-unchecked": "project deployments are listed without checking the project's owner",
  "deploy-foreign": "POST /api/deploy accepts another tenant's project",
  "file-read-unchecked": "a file of another tenant's project is served",
  "file-write-unchecked": "a file is stored into another tenant's project",
  "search-unscoped": "search runs over all tenants",
  "tenant-not-persisted": "new rows are written with the default tenant id instead of the caller's",
  "denials-not-logged": "denied attempts are not written to tenant_access_logs",
  "kv-unprefixed": "file contents are stored at {project_id}:{file_path}",
  "default-sees-all": "a request with no identity sees every tenant's data",
  "strict-ignored": "strict mode still serves requests with no identity (as the default tenant)",
  "header-overrides-token": "X-Tenant-ID wins over the tenant of the bearer key",
  "body-tenant-honored": "a body tenant_id on create is honored",
  "download-any-key": "/api/download/{key} serves any key",
  "error-leaks-data": "the 403 body names the other tenant's project",
  "audit-unscoped": "/api/access-logs returns every tenant's entries",
  "cache-key-shared": "cached responses are keyed by URL alone",
  "request-state-shared": "the current tenant is kept in module-wide state, so concurrent requests can act as " +
    "each other's tenant",
};

/** The set of switched-on flaws; an unknown name throws, so a typo never runs as a correct target. */
export function parseFlaws(value) {
  const names = new Set(String(value || "").split(",").map((name) => name.trim()).filter(Boolean));
  const unknown = [...names].filter((name) => !(name in FLAWS));
  if (unknown.length) {
    throw new Error(`unknown flaw ${unknown.join(", ")}; valid flaws are: ${Object.keys(FLAWS).join(", ")}`);
  }
  return names;
}
