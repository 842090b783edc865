// The contract's error shape, {"error": {"code", "message"}}, thrown as ApiError anywhere in a request.

export class ApiError extends Error {
  /** status, snake_case code, a message safe to show; `denial` marks a refused cross-tenant attempt. */
  constructor(status, code, message, { denial = false, tenant = null } = {}) {
    super(message);
    this.status = status;
    this.code = code;
    this.denial = denial;
    this.tenant = tenant; // for identity errors: the tenant the request is known to come from (access log)
    this.logged = false;
  }
}

export const invalidRequest = (message, status = 400) => new ApiError(status, "invalid_request", message);
export const notFound = (message = "not found") => new ApiError(404, "not_found", message);

export function json(payload, status = 200, headers = {}) {
  return new Response(JSON.stringify(payload), {
    status,
    headers: { "content-type": "application/json", ...headers },
  });
}

export function errorResponse(status, code, message) {
  return json({ error: { code, message } }, status);
}
