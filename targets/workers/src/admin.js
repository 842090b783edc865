// Admin endpoints (provisioning and operations), behind `Authorization: Bearer <ADMIN_TOKEN>`.
import { ApiError, invalidRequest, json, notFound } from "./errors.js";
import { parseLimit } from "./operations.js";
import * as store from "./storage.js";
import { optionalText, requiredText, TENANT_ID_RE } from "./validation.js";

export function checkAdmin(request, config) {
  const match = /^\s*bearer\s+(\S+)\s*$/i.exec(request.headers.get("authorization") || "");
  if (!config.adminToken || !match || !timingSafeEqual(match[1], config.adminToken)) {
    throw new ApiError(401, "unauthorized", "admin endpoints need 'Authorization: Bearer <admin_token>'");
  }
}

function timingSafeEqual(a, b) {
  const x = new TextEncoder().encode(a);
  const y = new TextEncoder().encode(b);
  let diff = x.length ^ y.length;
  for (let i = 0; i < Math.max(x.length, y.length); i++) diff |= (x[i] ?? 0) ^ (y[i] ?? 0);
  return diff === 0;
}

function tenantId(value) {
  if (!TENANT_ID_RE.test(value)) throw new ApiError(400, "invalid_tenant", `tenant id must match ${TENANT_ID_RE.source}`);
  return value;
}

function randomToken(bytes) {
  const raw = crypto.getRandomValues(new Uint8Array(bytes));
  return btoa(String.fromCharCode(...raw)).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
}

export async function createTenant(env, ops, body) {
  const name = requiredText(body, "name");
  const given = optionalText(body, "tenant_id", { maxChars: 64 });
  const id = given !== null ? tenantId(given) : `t-${randomToken(6).toLowerCase().replace(/[^a-z0-9]/g, "0")}`;
  const apiKey = `tck_${randomToken(32)}`;
  try {
    await env.DB.prepare("INSERT INTO tenants (tenant_id, name, api_key_hash, created_at) VALUES (?, ?, ?, ?)")
      .bind(id, name, await store.sha256Hex(apiKey), store.nowIso()).run();
  } catch (error) {
    if (String(error).includes("UNIQUE")) throw invalidRequest(`tenant ${id} already exists`);
    throw error;
  }
  return json({ tenant_id: id, name, api_key: apiKey }, 201);
}

export async function listTenants(env) {
  return json({ tenants: await store.listTenants(env.DB) });
}

export async function deleteTenant(env, ops, params) {
  const id = tenantId(params.tenant_id);
  const db = env.DB;
  const projects = (await db.prepare("SELECT id FROM projects WHERE tenant_id = ?").bind(id).all()).results;
  let removed = 0;
  const keys = [];
  for (const { id: projectId } of projects) {
    const deletion = await store.deleteProject(db, projectId);
    keys.push(...deletion.keys);
    removed += (await db.batch(deletion.statements)).reduce((n, r) => n + (r.meta?.changes ?? 0), 0);
  }
  keys.push(...(await db.prepare("SELECT kv_key FROM file_metadata WHERE tenant_id = ?").bind(id).all()).results
    .map((r) => r.kv_key));
  const tables = [...store.DATA_TABLES, "tenant_access_logs", "tenants"];
  removed += (await db.batch(tables.map((t) => db.prepare(`DELETE FROM ${t} WHERE tenant_id = ?`).bind(id))))
    .reduce((n, r) => n + (r.meta?.changes ?? 0), 0);
  await Promise.all(keys.map((key) => env.FILES.delete(key)));
  removed += await store.kvDeletePrefix(env.FILES, `${id}:`);
  removed += await store.kvDeletePrefix(env.CACHE, `${id}:`);
  await ops.invalidateCache(new Set());
  if (removed === 0) throw notFound("no such tenant");
  return new Response(null, { status: 204 });
}

export async function accessLogs(env, query) {
  const id = query.get("tenant_id") ? tenantId(query.get("tenant_id")) : null;
  let success = null;
  if (query.get("success")) {
    const lowered = query.get("success").toLowerCase();
    if (!["true", "1", "false", "0"].includes(lowered)) throw invalidRequest("'success' must be true or false");
    success = lowered === "true" || lowered === "1";
  }
  let since = null;
  if (query.get("since")) {
    const moment = new Date(query.get("since"));
    if (Number.isNaN(moment.getTime())) throw invalidRequest("'since' must be an ISO 8601 timestamp");
    since = moment.toISOString();
  }
  const entries = await store.listLogs(env.DB, { tenantId: id, success, since, limit: parseLimit(query), admin: true });
  return json({ entries });
}
