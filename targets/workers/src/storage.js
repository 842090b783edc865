// D1 (Pom Bolt's combined schema, created on first use) and KV (FILES, CACHE) access. Nothing here decides
// who may do what: that is operations.js's job, and where the flaws live.

const SCHEMA = [
  `CREATE TABLE IF NOT EXISTS tenants (tenant_id TEXT PRIMARY KEY, name TEXT NOT NULL, api_key_hash TEXT UNIQUE,
     created_at TEXT NOT NULL)`,
  `CREATE TABLE IF NOT EXISTS projects (id TEXT PRIMARY KEY, tenant_id TEXT NOT NULL, name TEXT NOT NULL,
     description TEXT, metadata TEXT NOT NULL DEFAULT '{}', created_at TEXT NOT NULL, updated_at TEXT NOT NULL)`,
  "CREATE INDEX IF NOT EXISTS idx_projects_tenant ON projects (tenant_id)",
  `CREATE TABLE IF NOT EXISTS deployments (id TEXT PRIMARY KEY, tenant_id TEXT NOT NULL, project_id TEXT NOT NULL,
     provider TEXT NOT NULL, status TEXT NOT NULL, url TEXT NOT NULL, created_at TEXT NOT NULL)`,
  "CREATE INDEX IF NOT EXISTS idx_deployments_tenant ON deployments (tenant_id)",
  "CREATE INDEX IF NOT EXISTS idx_deployments_project ON deployments (project_id)",
  `CREATE TABLE IF NOT EXISTS file_metadata (id TEXT PRIMARY KEY, tenant_id TEXT NOT NULL, project_id TEXT NOT NULL,
     file_path TEXT NOT NULL, size INTEGER NOT NULL, hash TEXT NOT NULL, kv_key TEXT NOT NULL,
     created_at TEXT NOT NULL, updated_at TEXT NOT NULL, UNIQUE (project_id, file_path))`,
  "CREATE INDEX IF NOT EXISTS idx_file_metadata_tenant ON file_metadata (tenant_id)",
  `CREATE TABLE IF NOT EXISTS search_index (id TEXT PRIMARY KEY, tenant_id TEXT NOT NULL, project_id TEXT NOT NULL,
     file_path TEXT, content TEXT NOT NULL, updated_at TEXT NOT NULL)`,
  "CREATE INDEX IF NOT EXISTS idx_search_index_tenant ON search_index (tenant_id)",
  "CREATE INDEX IF NOT EXISTS idx_search_index_project ON search_index (project_id)",
  `CREATE TABLE IF NOT EXISTS tenant_access_logs (id TEXT PRIMARY KEY, tenant_id TEXT NOT NULL, resource_id TEXT,
     resource_type TEXT NOT NULL, action TEXT NOT NULL, user_id TEXT, ip_address TEXT, user_agent TEXT,
     success INTEGER NOT NULL, timestamp TEXT NOT NULL)`,
  "CREATE INDEX IF NOT EXISTS idx_tenant_access_logs_tenant ON tenant_access_logs (tenant_id)",
];

export const DATA_TABLES = ["projects", "deployments", "file_metadata", "search_index"];
const FILE_COLUMNS = "id, tenant_id, project_id, file_path, size, hash, created_at";
const LOG_COLUMNS = "id, tenant_id, resource_id, resource_type, action, success, timestamp";
const SEARCH_LIMIT = 100;
const SNIPPET_RADIUS = 60;

let ready = null; // one schema creation per isolate; a failure is retried by the next request

export function ensureSchema(db, defaultTenant) {
  if (!ready) {
    ready = db
      .batch([
        ...SCHEMA.map((sql) => db.prepare(sql)),
        db.prepare("INSERT OR IGNORE INTO tenants (tenant_id, name, api_key_hash, created_at) VALUES (?, ?, NULL, ?)")
          .bind(defaultTenant, "Default tenant", nowIso()),
      ])
      .catch((error) => {
        ready = null;
        throw error;
      });
  }
  return ready;
}

export const nowIso = () => new Date().toISOString();

export function newId(prefix) {
  const bytes = crypto.getRandomValues(new Uint8Array(10));
  return `${prefix}_${[...bytes].map((b) => b.toString(16).padStart(2, "0")).join("")}`;
}

export async function sha256Hex(text) {
  const digest = await crypto.subtle.digest("SHA-256", typeof text === "string" ? new TextEncoder().encode(text) : text);
  return [...new Uint8Array(digest)].map((b) => b.toString(16).padStart(2, "0")).join("");
}

const all = async (statement) => (await statement.all()).results;

// --- tenants --------------------------------------------------------------------------------------------

export const tenantForKeyHash = async (db, hash) =>
  (await db.prepare("SELECT tenant_id FROM tenants WHERE api_key_hash = ?").bind(hash).first("tenant_id")) ?? null;

export const listTenants = (db) =>
  all(db.prepare("SELECT tenant_id, name, created_at FROM tenants ORDER BY created_at, tenant_id"));

// --- projects -------------------------------------------------------------------------------------------

function project(row) {
  if (row) row.metadata = JSON.parse(row.metadata);
  return row;
}

export const insertProject = (db, p) =>
  db.prepare("INSERT INTO projects (id, tenant_id, name, description, metadata, created_at, updated_at) " +
    "VALUES (?, ?, ?, ?, ?, ?, ?)")
    .bind(p.id, p.tenant_id, p.name, p.description, JSON.stringify(p.metadata), p.created_at, p.updated_at);

export const getProject = async (db, id) => project(await db.prepare("SELECT * FROM projects WHERE id = ?").bind(id).first());

export async function listProjects(db, tenantId) {
  const rows = tenantId === null
    ? await all(db.prepare("SELECT * FROM projects ORDER BY created_at, id"))
    : await all(db.prepare("SELECT * FROM projects WHERE tenant_id = ? ORDER BY created_at, id").bind(tenantId));
  return rows.map(project);
}

export function updateProject(db, id, changes) {
  const values = { ...changes, updated_at: nowIso() };
  if ("metadata" in values) values.metadata = JSON.stringify(values.metadata);
  const columns = Object.keys(values);
  return db.prepare(`UPDATE projects SET ${columns.map((c) => `${c} = ?`).join(", ")} WHERE id = ?`)
    .bind(...columns.map((c) => values[c]), id);
}

/** Statements removing a project with its children, and the FILES keys its files had. */
export async function deleteProject(db, id) {
  const keys = (await all(db.prepare("SELECT kv_key FROM file_metadata WHERE project_id = ?").bind(id))).map((r) => r.kv_key);
  const statements = ["deployments", "file_metadata", "search_index"]
    .map((table) => db.prepare(`DELETE FROM ${table} WHERE project_id = ?`).bind(id));
  statements.push(db.prepare("DELETE FROM projects WHERE id = ?").bind(id));
  return { keys, statements };
}

// --- deployments ----------------------------------------------------------------------------------------

export const insertDeployment = (db, d) =>
  db.prepare("INSERT INTO deployments (id, tenant_id, project_id, provider, status, url, created_at) " +
    "VALUES (?, ?, ?, ?, ?, ?, ?)").bind(d.id, d.tenant_id, d.project_id, d.provider, d.status, d.url, d.created_at);

export const listDeployments = (db, projectId) =>
  all(db.prepare("SELECT * FROM deployments WHERE project_id = ? ORDER BY created_at, id").bind(projectId));

export const getDeployment = (db, id) => db.prepare("SELECT * FROM deployments WHERE id = ?").bind(id).first();

// --- files ----------------------------------------------------------------------------------------------

export const getFile = (db, projectId, path) =>
  db.prepare(`SELECT ${FILE_COLUMNS}, kv_key FROM file_metadata WHERE project_id = ? AND file_path = ?`)
    .bind(projectId, path).first();

export const listFiles = (db, projectId) =>
  all(db.prepare(`SELECT ${FILE_COLUMNS} FROM file_metadata WHERE project_id = ? ORDER BY file_path`).bind(projectId));

export function upsertFile(db, f) {
  const now = nowIso();
  return db.prepare(
    "INSERT INTO file_metadata (id, tenant_id, project_id, file_path, size, hash, kv_key, created_at, updated_at) " +
    "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (project_id, file_path) DO UPDATE SET tenant_id = excluded.tenant_id, " +
    "size = excluded.size, hash = excluded.hash, kv_key = excluded.kv_key, created_at = excluded.created_at, " +
    "updated_at = excluded.updated_at",
  ).bind(newId("fil"), f.tenant_id, f.project_id, f.file_path, f.size, f.hash, f.kv_key, now, now);
}

// --- search ---------------------------------------------------------------------------------------------

/** Statements (re)indexing a project's name and description (filePath null) or a file's content. */
export function indexDocument(db, { tenantId, projectId, filePath, content }) {
  const remove = filePath === null
    ? db.prepare("DELETE FROM search_index WHERE project_id = ? AND file_path IS NULL").bind(projectId)
    : db.prepare("DELETE FROM search_index WHERE project_id = ? AND file_path = ?").bind(projectId, filePath);
  const insert = db.prepare(
    "INSERT INTO search_index (id, tenant_id, project_id, file_path, content, updated_at) VALUES (?, ?, ?, ?, ?, ?)",
  ).bind(newId("idx"), tenantId, projectId, filePath, content, nowIso());
  return [remove, insert];
}

export async function search(db, query, tenantId) {
  const words = query.split(/\s+/).filter(Boolean);
  if (!words.length) return [];
  const clauses = words.map(() => "content LIKE ? ESCAPE '\\'");
  const params = words.map((w) => `%${w.replace(/[\\%_]/g, (c) => `\\${c}`)}%`);
  if (tenantId !== null) {
    clauses.push("tenant_id = ?");
    params.push(tenantId);
  }
  const rows = await all(db.prepare(
    `SELECT project_id, file_path, content FROM search_index WHERE ${clauses.join(" AND ")} ORDER BY updated_at LIMIT ?`,
  ).bind(...params, SEARCH_LIMIT));
  return rows.map((row) => ({
    project_id: row.project_id,
    ...(row.file_path !== null ? { file_path: row.file_path } : {}),
    snippet: snippet(row.content, words),
  }));
}

function snippet(content, words) {
  const lowered = content.toLowerCase();
  const positions = words.map((w) => lowered.indexOf(w.toLowerCase())).filter((p) => p >= 0);
  const start = positions.length ? Math.max(0, Math.min(...positions) - SNIPPET_RADIUS) : 0;
  return content.slice(start, start + 2 * SNIPPET_RADIUS).split(/\s+/).filter(Boolean).join(" ");
}

// --- access logs ----------------------------------------------------------------------------------------

export const insertLog = (db, { tenantId, resourceType, resourceId, action, success, ip, userAgent }) =>
  db.prepare("INSERT INTO tenant_access_logs (id, tenant_id, resource_id, resource_type, action, user_id, ip_address, " +
    "user_agent, success, timestamp) VALUES (?, ?, ?, ?, ?, NULL, ?, ?, ?, ?)")
    .bind(newId("log"), tenantId, resourceId ?? null, resourceType, action, ip ?? null, userAgent ?? null,
      success ? 1 : 0, nowIso());

export async function listLogs(db, { tenantId = null, success = null, since = null, limit, admin = false }) {
  const clauses = [];
  const params = [];
  if (tenantId !== null) { clauses.push("tenant_id = ?"); params.push(tenantId); }
  if (success !== null) { clauses.push("success = ?"); params.push(success ? 1 : 0); }
  if (since !== null) { clauses.push("timestamp >= ?"); params.push(since); }
  const where = clauses.length ? `WHERE ${clauses.join(" AND ")}` : "";
  const columns = admin ? `${LOG_COLUMNS}, user_id, ip_address, user_agent` : LOG_COLUMNS;
  const rows = await all(db.prepare(`SELECT ${columns} FROM tenant_access_logs ${where} ORDER BY rowid DESC LIMIT ?`)
    .bind(...params, limit));
  return rows.map((row) => ({ ...row, success: Boolean(row.success) }));
}

// --- KV ---------------------------------------------------------------------------------------------------

/** Every key of a namespace starting with prefix (all pages). */
export async function kvKeys(namespace, prefix) {
  const keys = [];
  let cursor;
  do {
    const page = await namespace.list({ prefix, cursor });
    keys.push(...page.keys.map((k) => k.name));
    cursor = page.list_complete ? undefined : page.cursor;
  } while (cursor);
  return keys;
}

export async function kvDeletePrefix(namespace, prefix) {
  const keys = await kvKeys(namespace, prefix);
  await Promise.all(keys.map((key) => namespace.delete(key)));
  return keys.length;
}
