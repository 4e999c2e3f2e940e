// The REST API, as the signed-in operator: every call carries the token kept in
// sessionStorage, and a refused call becomes an ApiError with the API's own detail.

export const TOKEN_KEY = "csms.api-token";

export class ApiError extends Error {
  constructor(status, detail) {
    super(detail);
    this.status = status;
  }
}

// Counted so the benchmark can read how many calls an open dashboard makes.
export const stats = { calls: 0 };

async function request(path, method, payload) {
  stats.calls += 1;
  const headers = { Authorization: `Bearer ${sessionStorage.getItem(TOKEN_KEY)}` };
  if (payload !== undefined) headers["Content-Type"] = "application/json";
  const response = await fetch(path, {
    method,
    headers,
    body: payload === undefined ? undefined : JSON.stringify(payload),
  });
  if (!response.ok) {
    const answer = await response.json().catch(() => ({}));
    throw new ApiError(response.status, answer.detail || response.statusText);
  }
  return response;
}

export async function api(path, method = "GET", payload = undefined) {
  const response = await request(path, method, payload);
  return response.status === 204 ? {} : response.json().catch(() => ({}));
}

export async function text(path) {
  const response = await request(path, "GET", undefined);
  return { body: await response.text(), next: response.headers.get("x-next-cursor") };
}

// A path with its query string; empty values are left out.
export function withQuery(path, params) {
  const query = new URLSearchParams();
  for (const [name, value] of Object.entries(params)) {
    if (value !== undefined && value !== null && value !== "") query.set(name, value);
  }
  const encoded = query.toString();
  return encoded ? `${path}?${encoded}` : path;
}

export const id = encodeURIComponent;
