// A Pom Bolt-shaped Worker implementing tenantcheck's CONTRACT.md on real D1 and KV bindings, with the
// reference target's isolation flaws as switches (the FLAWS var). It proves the harness on the Workers
// runtime itself (workerd under `wrangler dev`), not only on the Python imitation.
//
// Vars: AUTH_MODE (token|header), STRICT ("true"|"false"), DEFAULT_TENANT, FLAWS ("a,b"), ADMIN_TOKEN.
import * as admin from "./admin.js";
import { retryingD1 } from "./d1retry.js";
import { ApiError, errorResponse, json } from "./errors.js";
import { parseFlaws } from "./flaws.js";
import { resolveCaller } from "./identity.js";
import { Operations } from "./operations.js";
import { ensureSchema, insertLog } from "./storage.js";
import { readJsonObject } from "./validation.js";

// route: [method, pattern, handler name, resource_type, action, {param, field, body}]
const TENANT_ROUTES = [
  ["POST", "/api/projects", "createProject", "project", "create", { body: true }],
  ["GET", "/api/projects", "listProjects", "project", "list", {}],
  ["GET", "/api/projects/:project_id", "getProject", "project", "read", { param: "project_id" }],
  ["PUT", "/api/projects/:project_id", "updateProject", "project", "update", { param: "project_id", body: true }],
  ["DELETE", "/api/projects/:project_id", "deleteProject", "project", "delete", { param: "project_id" }],
  ["POST", "/api/deploy", "deploy", "project", "deploy", { field: "project_id", body: true }],
  ["GET", "/api/projects/:project_id/deployments", "listDeployments", "deployment", "list", { param: "project_id" }],
  ["GET", "/api/deployments/:deployment_id", "getDeployment", "deployment", "read", { param: "deployment_id" }],
  ["POST", "/api/projects/:project_id/files", "writeFile", "file", "write", { param: "project_id", body: true }],
  ["GET", "/api/projects/:project_id/files", "listFiles", "file", "list", { param: "project_id" }],
  ["GET", "/api/projects/:project_id/files/*file_path", "readFile", "file", "read", { param: "project_id" }],
  ["GET", "/api/search", "search", "search", "search", {}],
  ["GET", "/api/download/*key", "download", "kv", "download", { param: "key" }],
  ["GET", "/api/access-logs", "accessLogs", "access_log", "list", {}],
];

const ADMIN_ROUTES = [
  ["POST", "/admin/tenants", (env, ops, req) => admin.createTenant(env, ops, req.body), true],
  ["GET", "/admin/tenants", (env) => admin.listTenants(env), false],
  ["DELETE", "/admin/tenants/:tenant_id", (env, ops, req) => admin.deleteTenant(env, ops, req.params), false],
  ["GET", "/admin/access-logs", (env, ops, req) => admin.accessLogs(env, req.query), false],
];

const SHARED_STATE_WINDOW_MS = 5;
const shared = { caller: null }; // the `request-state-shared` flaw: one "current tenant" for the isolate

/** Path parameters of `pattern` in `path` (`*name` takes the rest, slashes included), or null. */
function match(pattern, path) {
  const want = pattern.split("/");
  const got = path.split("/");
  const params = {};
  for (let i = 0; i < want.length; i++) {
    if (want[i].startsWith("*")) {
      if (i >= got.length) return null;
      params[want[i].slice(1)] = decode(got.slice(i).join("/"));
      return params;
    }
    if (i >= got.length) return null;
    if (want[i].startsWith(":")) {
      if (!got[i]) return null;
      params[want[i].slice(1)] = decode(got[i]);
    } else if (want[i] !== got[i]) return null;
  }
  return want.length === got.length ? params : null;
}

function decode(segment) {
  try {
    return decodeURIComponent(segment);
  } catch {
    throw new ApiError(400, "invalid_request", "malformed percent-encoding in the path");
  }
}

function configOf(env) {
  return {
    auth: env.AUTH_MODE === "header" ? "header" : "token",
    strict: String(env.STRICT ?? "true") !== "false",
    defaultTenant: env.DEFAULT_TENANT || "default",
    flaws: parseFlaws(env.FLAWS),
    adminToken: env.ADMIN_TOKEN || "",
  };
}

async function tenantRequest(request, env, config, route, params, url) {
  const [, , handler, resourceType, action, options] = route;
  const db = env.DB;
  const audit = { resourceType, action, resourceId: options.param ? params[options.param] : null,
    ip: request.headers.get("cf-connecting-ip"), userAgent: request.headers.get("user-agent") };
  const log = (tenantId, success, resourceId = null) =>
    insertLog(db, { ...audit, tenantId, success, resourceId: resourceId ?? audit.resourceId }).run();
  let caller = null;
  try {
    try {
      caller = await resolveCaller(request, config, db);
    } catch (error) {
      if (error instanceof ApiError && error.tenant !== null) {
        if (!(error.denial && config.flaws.has("denials-not-logged"))) await log(error.tenant, false);
        error.logged = true;
      }
      throw error;
    }
    if (config.flaws.has("request-state-shared")) {
      shared.caller = caller;
      await new Promise((resolve) => setTimeout(resolve, SHARED_STATE_WINDOW_MS));
      caller = shared.caller;
    }
    const body = options.body ? await readJsonObject(request) : null;
    if (options.field && body && typeof body[options.field] === "string") audit.resourceId = body[options.field];
    const ops = new Operations(env, config);
    const req = { params, query: url.searchParams, body, url: url.pathname + url.search };
    const result = await ops[handler](caller, req);
    await log(caller.tenant, true, result.resourceId);
    return render(result);
  } catch (error) {
    if (!(error instanceof ApiError)) throw error;
    if (caller !== null && !error.logged && !(error.denial && config.flaws.has("denials-not-logged"))) {
      await log(caller.tenant, false);
    }
    return errorResponse(error.status, error.code, error.message);
  }
}

function render(result) {
  if (result.payload === null) return new Response(null, { status: result.status });
  if (result.binary) {
    return new Response(result.payload, { status: result.status, headers: { "content-type": "application/octet-stream" } });
  }
  if (result.text) {
    return new Response(result.payload, { status: result.status, headers: { "content-type": "text/plain; charset=utf-8" } });
  }
  return json(result.payload, result.status);
}

async function route(request, env) {
  const url = new URL(request.url);
  const path = url.pathname;
  if (path === "/api/health") {
    return request.method === "GET" ? json({ status: "ok" }) : errorResponse(405, "method_not_allowed", "method not allowed");
  }
  const config = configOf(env);
  await ensureSchema(env.DB, config.defaultTenant);
  let pathMatched = false;
  for (const entry of TENANT_ROUTES) {
    const params = match(entry[1], path);
    if (params === null) continue;
    pathMatched = true;
    if (entry[0] === request.method) return tenantRequest(request, env, config, entry, params, url);
  }
  for (const [method, pattern, handler, hasBody] of ADMIN_ROUTES) {
    const params = match(pattern, path);
    if (params === null) continue;
    pathMatched = true;
    if (method !== request.method) continue;
    admin.checkAdmin(request, config);
    const body = hasBody ? await readJsonObject(request) : null;
    return handler(env, new Operations(env, config), { params, query: url.searchParams, body });
  }
  if (pathMatched) return errorResponse(405, "method_not_allowed", `method ${request.method} not allowed here`);
  return errorResponse(404, "not_found", "no such route");
}

export default {
  async fetch(request, env) {
    try {
      return await route(request, { ...env, DB: retryingD1(env.DB) });
    } catch (error) {
      if (error instanceof ApiError) return errorResponse(error.status, error.code, error.message);
      console.error("unexpected error", request.method, new URL(request.url).pathname, error);
      return errorResponse(500, "internal_error", "internal error");
    }
  },
};
