// Checks of client input, so bad input is a 4xx in the error shape and never reaches storage.
import { ApiError, invalidRequest } from "./errors.js";

export const MAX_BODY_BYTES = 1024 * 1024;
const MAX_JSON_DEPTH = 32;
const MAX_NAME_CHARS = 200;
const MAX_TEXT_CHARS = 10000;
export const TENANT_ID_RE = /^[a-z0-9][a-z0-9-]{2,63}$/;
const MAX_KEY_BYTES = 512;

/** The request body as a JSON object (413 over 1 MiB, 400 for anything else than an object). */
export async function readJsonObject(request) {
  const declared = request.headers.get("content-length");
  if (declared !== null && Number(declared) > MAX_BODY_BYTES) {
    throw new ApiError(413, "payload_too_large", `request body is over ${MAX_BODY_BYTES} bytes`);
  }
  const raw = await request.arrayBuffer();
  if (raw.byteLength > MAX_BODY_BYTES) {
    throw new ApiError(413, "payload_too_large", `request body is over ${MAX_BODY_BYTES} bytes`);
  }
  let text;
  try {
    text = new TextDecoder("utf-8", { fatal: true }).decode(raw);
  } catch {
    throw invalidRequest("request body is not valid JSON");
  }
  if (!text.trim()) throw invalidRequest("request body must be a JSON object");
  let data;
  try {
    data = JSON.parse(text);
  } catch {
    throw invalidRequest("request body is not valid JSON");
  }
  checkDepth(data);
  if (data === null || typeof data !== "object" || Array.isArray(data)) {
    throw invalidRequest("request body must be a JSON object");
  }
  return data;
}

function checkDepth(data) {
  const stack = [[data, 0]];
  while (stack.length) {
    const [value, depth] = stack.pop();
    if (depth > MAX_JSON_DEPTH) throw invalidRequest(`JSON nested deeper than ${MAX_JSON_DEPTH} levels`);
    if (typeof value === "string") checkText(value);
    else if (value && typeof value === "object") {
      for (const [key, item] of Object.entries(value)) {
        checkText(key);
        stack.push([item, depth + 1]);
      }
    }
  }
}

function checkText(text) {
  if (!text.isWellFormed()) throw invalidRequest("text must be valid Unicode (no lone surrogates)");
}

export function optionalText(body, field, { maxChars = MAX_TEXT_CHARS, nullable = true, allowBlank = false } = {}) {
  const value = body[field];
  if (value === undefined || value === null) {
    if (value === null && !nullable) throw invalidRequest(`'${field}' must be a string`);
    return null;
  }
  if (typeof value !== "string") throw invalidRequest(`'${field}' must be a string`);
  if (!allowBlank && !value.trim()) throw invalidRequest(`'${field}' must not be empty`);
  if (value.length > maxChars) throw invalidRequest(`'${field}' is longer than ${maxChars} characters`);
  return value;
}

export function requiredText(body, field, maxChars = MAX_NAME_CHARS) {
  if (!(field in body)) throw invalidRequest(`'${field}' is required`);
  return optionalText(body, field, { maxChars, nullable: false }) ?? "";
}

export function optionalObject(body, field) {
  if (!(field in body)) return null;
  const value = body[field];
  if (value === null || typeof value !== "object" || Array.isArray(value)) {
    throw invalidRequest(`'${field}' must be an object`);
  }
  return value;
}

/** A project-relative file path: no `..`/`.`/empty segments, no leading `/`, backslash or NUL. */
export function checkFilePath(path) {
  if (!path) throw invalidRequest("file path must not be empty");
  if (path.includes("\\") || path.includes("\0")) throw invalidRequest("file path must not contain backslashes or NUL");
  if (path.startsWith("/")) throw invalidRequest("file path must be relative (no leading '/')");
  if (path.split("/").some((part) => part === "" || part === "." || part === "..")) {
    throw invalidRequest("file path must not contain empty, '.' or '..' segments");
  }
  checkText(path);
  return path;
}

/** A key Cloudflare KV accepts (non-empty, not `.`/`..`, at most 512 UTF-8 bytes). */
export function checkKey(key) {
  if (key === "" || key === "." || key === "..") throw invalidRequest(`invalid KV key ${JSON.stringify(key)}`);
  const size = new TextEncoder().encode(key).length;
  if (size > MAX_KEY_BYTES) throw invalidRequest(`KV key is ${size} bytes, the limit is ${MAX_KEY_BYTES}`);
  return key;
}
