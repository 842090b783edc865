// The tenant operations of CONTRACT.md and the flaw switches that break them. The correct rule everywhere:
// an object belongs to the tenant in its tenant_id (a project's deployments, files and index rows belong to
// the project's owner), and only that tenant may see or change it. Every flaw is a plain
// `config.flaws.has("<name>")`, so grep finds what each switch changes.
import { ApiError, invalidRequest, notFound } from "./errors.js";
import * as store from "./storage.js";
import { checkFilePath, checkKey, optionalObject, optionalText, requiredText, TENANT_ID_RE } from "./validation.js";

const MAX_LOG_ENTRIES = 1000;

export class Operations {
  constructor(env, config) {
    this.db = env.DB;
    this.files = env.FILES;
    this.cache = env.CACHE;
    this.config = config;
  }

  has(flaw) {
    return this.config.flaws.has(flaw);
  }

  // --- helpers -----------------------------------------------------------------------------------------

  deny(what, project = null) {
    const message = project && this.has("error-leaks-data")
      ? `${what} belongs to another tenant: project '${project.name}'`
      : `access to this ${what} is denied`;
    return new ApiError(403, "tenant_access_denied", message, { denial: true });
  }

  /** Reads skip the owner check and filter: the `default-sees-all` flaw for callers without identity. */
  seesAll(caller) {
    return caller.anonymous && this.has("default-sees-all");
  }

  async project(caller, id, unchecked) {
    const project = await store.getProject(this.db, id);
    if (!project) throw notFound("project not found");
    if (project.tenant_id !== caller.tenant && !unchecked) throw this.deny("project", project);
    return project;
  }

  /** The tenant_id written on a new row (the `tenant-not-persisted` flaw writes the default one). */
  storedTenant(tenant) {
    return this.has("tenant-not-persisted") ? this.config.defaultTenant : tenant;
  }

  fileKey(owner, projectId, filePath) {
    return this.has("kv-unprefixed") ? `${projectId}:${filePath}` : `${owner}:${projectId}:${filePath}`;
  }

  async invalidateCache(tenants) {
    await Promise.all([...tenants].map((tenant) => store.kvDeletePrefix(this.cache, `${tenant}:`)));
    if (this.has("cache-key-shared")) await store.kvDeletePrefix(this.cache, "/");
  }

  cacheKey(caller, url) {
    return this.has("cache-key-shared") ? url : `${caller.tenant}:${url}`;
  }

  // An unscoped (flawed) answer is never cached: its staleness would be a second bug. The cache is best
  // effort: KV refuses fast repeated writes to one key (and local KV can trip over a concurrent delete),
  // and a cache that cannot be read or written must never fail the request itself.
  async cached(caller, url, scoped, compute) {
    const key = this.cacheKey(caller, url);
    if (scoped) {
      const hit = await this.cache.get(key).catch((error) => cacheMiss("get", key, error));
      if (hit !== null) return JSON.parse(hit);
    }
    const payload = await compute();
    if (scoped) await this.cache.put(key, JSON.stringify(payload)).catch((error) => cacheMiss("put", key, error));
    return payload;
  }

  static body(req) {
    if (!req.body) throw invalidRequest("request body must be a JSON object");
    return req.body;
  }

  indexProject(project) {
    const text = project.name + (project.description ? `\n${project.description}` : "");
    return store.indexDocument(this.db, { tenantId: project.tenant_id, projectId: project.id, filePath: null, content: text });
  }

  // --- projects ----------------------------------------------------------------------------------------

  async createProject(caller, req) {
    const body = Operations.body(req);
    const name = requiredText(body, "name");
    const description = optionalText(body, "description", { allowBlank: true });
    const metadata = optionalObject(body, "metadata") || {};
    let owner = caller.tenant;
    const claimed = body.tenant_id;
    if (this.has("body-tenant-honored") && typeof claimed === "string" && TENANT_ID_RE.test(claimed)) owner = claimed;
    const now = store.nowIso();
    const project = { id: store.newId("prj"), tenant_id: this.storedTenant(owner), name, description, metadata,
      created_at: now, updated_at: now };
    await this.db.batch([store.insertProject(this.db, project), ...this.indexProject(project)]);
    await this.invalidateCache(new Set([caller.tenant, project.tenant_id]));
    return { status: 201, payload: project, resourceId: project.id };
  }

  async listProjects(caller, req) {
    const scoped = !(this.has("list-unfiltered") || this.seesAll(caller));
    const payload = await this.cached(caller, req.url, scoped,
      async () => ({ projects: await store.listProjects(this.db, scoped ? caller.tenant : null) }));
    return { status: 200, payload };
  }

  async getProject(caller, req) {
    const unchecked = this.has("get-unchecked") || this.seesAll(caller);
    return { status: 200, payload: await this.project(caller, req.params.project_id, unchecked) };
  }

  async updateProject(caller, req) {
    const project = await this.project(caller, req.params.project_id, this.has("update-unchecked"));
    const body = Operations.body(req);
    const changes = {};
    if ("name" in body) changes.name = requiredText(body, "name");
    if ("description" in body) changes.description = optionalText(body, "description", { allowBlank: true });
    if ("metadata" in body) changes.metadata = optionalObject(body, "metadata");
    // A body tenant_id is ignored: the owner never changes.
    if (Object.keys(changes).length) await store.updateProject(this.db, project.id, changes).run();
    const updated = await store.getProject(this.db, project.id);
    if ("name" in changes || "description" in changes) await this.db.batch(this.indexProject(updated));
    await this.invalidateCache(new Set([caller.tenant, project.tenant_id]));
    return { status: 200, payload: updated };
  }

  async deleteProject(caller, req) {
    const project = await this.project(caller, req.params.project_id, this.has("delete-unchecked"));
    const { keys, statements } = await store.deleteProject(this.db, project.id);
    await this.db.batch(statements);
    await Promise.all(keys.map((key) => this.files.delete(key)));
    await store.kvDeletePrefix(this.files, `${project.tenant_id}:${project.id}:`);
    await this.invalidateCache(new Set([caller.tenant, project.tenant_id]));
    return { status: 204, payload: null };
  }

  // --- deployments -------------------------------------------------------------------------------------

  async deploy(caller, req) {
    const body = Operations.body(req);
    const projectId = requiredText(body, "project_id");
    const provider = requiredText(body, "provider", 64);
    const project = await this.project(caller, projectId, this.has("deploy-foreign"));
    const id = store.newId("dep");
    const deployment = { id, tenant_id: this.storedTenant(project.tenant_id), project_id: project.id, provider,
      status: "queued", url: `https://${id.replace("_", "-")}.pages.example`, created_at: store.nowIso() };
    await store.insertDeployment(this.db, deployment).run();
    await this.invalidateCache(new Set([caller.tenant, project.tenant_id]));
    return { status: 201, payload: deployment, resourceId: project.id };
  }

  async listDeployments(caller, req) {
    const unchecked = this.has("deployments-unchecked") || this.seesAll(caller);
    const project = await this.project(caller, req.params.project_id, unchecked);
    return { status: 200, payload: { deployments: await store.listDeployments(this.db, project.id) } };
  }

  async getDeployment(caller, req) {
    const deployment = await store.getDeployment(this.db, req.params.deployment_id);
    if (!deployment) throw notFound("deployment not found");
    if (deployment.tenant_id !== caller.tenant && !this.seesAll(caller)) {
      throw this.deny("deployment", await store.getProject(this.db, deployment.project_id));
    }
    return { status: 200, payload: deployment };
  }

  // --- files -------------------------------------------------------------------------------------------

  async writeFile(caller, req) {
    const body = Operations.body(req);
    if (typeof body.path !== "string") throw invalidRequest("'path' must be a string");
    const filePath = checkFilePath(body.path);
    if (typeof body.content !== "string") throw invalidRequest("'content' must be a string");
    const project = await this.project(caller, req.params.project_id, this.has("file-write-unchecked"));
    const data = new TextEncoder().encode(body.content);
    const key = checkKey(this.fileKey(project.tenant_id, project.id, filePath));
    const previous = await store.getFile(this.db, project.id, filePath);
    await this.files.put(key, data);
    const tenantId = this.storedTenant(project.tenant_id);
    await this.db.batch([
      store.upsertFile(this.db, { tenant_id: tenantId, project_id: project.id, file_path: filePath, size: data.length,
        hash: await store.sha256Hex(data), kv_key: key }),
      ...store.indexDocument(this.db, { tenantId, projectId: project.id, filePath, content: body.content }),
    ]);
    if (previous && previous.kv_key !== key) await this.files.delete(previous.kv_key);
    const row = await store.getFile(this.db, project.id, filePath);
    delete row.kv_key;
    await this.invalidateCache(new Set([caller.tenant, project.tenant_id]));
    return { status: 201, payload: row };
  }

  async listFiles(caller, req) {
    const project = await this.project(caller, req.params.project_id, this.seesAll(caller));
    return { status: 200, payload: { files: await store.listFiles(this.db, project.id) } };
  }

  async readFile(caller, req) {
    const filePath = checkFilePath(req.params.file_path);
    const unchecked = this.has("file-read-unchecked") || this.seesAll(caller);
    const project = await this.project(caller, req.params.project_id, unchecked);
    const row = await store.getFile(this.db, project.id, filePath);
    const content = row ? await this.files.get(row.kv_key) : null;
    if (content === null) throw notFound("file not found");
    return { status: 200, payload: content, text: true };
  }

  async download(caller, req) {
    const key = checkKey(req.params.key);
    if (!key.startsWith(`${caller.tenant}:`) && !(this.has("download-any-key") || this.seesAll(caller))) {
      throw this.deny("key");
    }
    const value = await this.files.get(key, "arrayBuffer");
    if (value === null) throw notFound("key not found");
    return { status: 200, payload: value, binary: true };
  }

  // --- search and audit --------------------------------------------------------------------------------

  async search(caller, req) {
    const query = req.query.get("q") ?? "";
    if (!query.trim()) throw invalidRequest("query parameter 'q' is required");
    if (query.length > 500) throw invalidRequest("query is longer than 500 characters");
    const scoped = !(this.has("search-unscoped") || this.seesAll(caller));
    const payload = await this.cached(caller, req.url, scoped,
      async () => ({ results: await store.search(this.db, query, scoped ? caller.tenant : null) }));
    return { status: 200, payload };
  }

  async accessLogs(caller, req) {
    const tenantId = this.has("audit-unscoped") ? null : caller.tenant;
    return { status: 200, payload: { entries: await store.listLogs(this.db, { tenantId, limit: parseLimit(req.query) }) } };
  }
}

/** The `limit` query parameter of log listings (1..1000, default 1000). */
export function parseLimit(query) {
  const raw = query.get("limit");
  if (raw === null) return MAX_LOG_ENTRIES;
  if (!/^\d+$/.test(raw) || Number(raw) < 1 || Number(raw) > MAX_LOG_ENTRIES) {
    throw invalidRequest(`'limit' must be an integer from 1 to ${MAX_LOG_ENTRIES}`);
  }
  return Number(raw);
}

function cacheMiss(what, key, error) {
  console.warn(`cache ${what} failed for ${key}: ${error}`);
  return null;
}
