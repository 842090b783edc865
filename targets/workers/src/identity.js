// Who is calling (CONTRACT.md "Identity"): `token` mode trusts only `Authorization: Bearer <api_key>`;
// `header` mode takes X-Tenant-ID / X-Bolt-Tenant-ID at their word. Without identity, lenient mode acts as
// the default tenant and strict mode refuses.
import { ApiError } from "./errors.js";
import { sha256Hex, tenantForKeyHash } from "./storage.js";
import { TENANT_ID_RE } from "./validation.js";

const IDENTITY_HEADERS = ["x-tenant-id", "x-bolt-tenant-id"];

function identityError(status, code, message, tenant = null) {
  return new ApiError(status, code, message, { denial: code === "tenant_mismatch", tenant });
}

/** The caller {tenant, anonymous} of a request, or an ApiError (with .tenant when it is known). */
export async function resolveCaller(request, config, db) {
  const claims = IDENTITY_HEADERS.flatMap((name) => splitHeader(request.headers.get(name)));
  for (const claim of claims) {
    if (!TENANT_ID_RE.test(claim)) throw identityError(400, "invalid_tenant", `tenant id must match ${TENANT_ID_RE.source}`);
  }
  if (config.auth === "token") {
    const authorization = request.headers.get("authorization");
    if (authorization !== null) return tokenCaller(authorization, claims, config, db);
  } else if (claims.length) {
    if (new Set(claims).size > 1) throw identityError(403, "tenant_mismatch", "identity headers name different tenants", claims[0]);
    return { tenant: claims[0], anonymous: false };
  }
  if (config.strict && !config.flaws.has("strict-ignored")) {
    throw identityError(401, "tenant_required", "this request needs a tenant identity");
  }
  if (claims.some((claim) => claim !== config.defaultTenant)) {
    throw identityError(403, "tenant_mismatch", "a tenant header needs a matching API key", config.defaultTenant);
  }
  return { tenant: config.defaultTenant, anonymous: true };
}

// fetch joins repeated headers with ", "; a tenant id never contains a comma, so splitting undoes it.
function splitHeader(value) {
  return value === null ? [] : value.split(",").map((part) => part.trim());
}

async function tokenCaller(authorization, claims, config, db) {
  const match = /^\s*(\S+)\s+(\S+)\s*$/.exec(authorization);
  if (!match || match[1].toLowerCase() !== "bearer" || authorization.includes(",")) {
    throw identityError(401, "unauthorized", "expected one 'Authorization: Bearer <api_key>' header");
  }
  const tenant = await tenantForKeyHash(db, await sha256Hex(match[2]));
  if (tenant === null) throw identityError(401, "unauthorized", "invalid API key");
  if (claims.length && config.flaws.has("header-overrides-token")) return { tenant: claims[0], anonymous: false };
  if (claims.some((claim) => claim !== tenant)) {
    throw identityError(403, "tenant_mismatch", "the tenant header does not match the API key", tenant);
  }
  return { tenant, anonymous: false };
}
