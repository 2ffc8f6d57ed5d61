// What the staff pages' scripts share (console.js, nlu.js): the console's path and the
// session's CSRF token from the page, a DOM builder that puts text in as text, and the
// JSON call to the console's API. Nothing here ever parses a string as HTML.

export const base = document.body.dataset.base;
export const csrf = document.querySelector('meta[name="csrf-token"]')?.content ?? "";
export const $ = (id) => document.getElementById(id);

// An element: `text` becomes its textContent, `dataset` its data-* attributes, any other
// prop is set as a property; children (nodes or strings) are appended, null, undefined
// and false skipped (so `cond && node` works).
export function el(tag, props = {}, ...children) {
  const node = document.createElement(tag);
  for (const [key, value] of Object.entries(props)) {
    if (key === "dataset") Object.assign(node.dataset, value);
    else if (key === "text") node.textContent = value;
    else node[key] = value;
  }
  for (const child of children) {
    if (child !== null && child !== undefined && child !== false) node.append(child);
  }
  return node;
}

export class ApiError extends Error {
  constructor(message, status, detail) {
    super(message);
    this.status = status;
    this.detail = detail;
  }
}

// A call to `${base}/api${path}`: JSON, the session's CSRF token, same-origin cookies.
// Signed out (401): back to the log-in page. Refused: an ApiError with the API's reason.
export async function api(method, path, body) {
  const response = await fetch(`${base}/api${path}`, {
    method,
    headers: { "Content-Type": "application/json", "X-CSRF-Token": csrf },
    body: body === undefined ? undefined : JSON.stringify(body),
    credentials: "same-origin",
  });
  if (response.status === 401) {
    window.location.assign(`${base}/login`);
    throw new ApiError("signed out", 401, null);
  }
  const data = response.headers.get("content-type")?.includes("json") ? await response.json() : null;
  if (!response.ok) {
    const detail = data?.detail;
    const message = detail?.message || (typeof detail === "string" ? detail : `HTTP ${response.status}`);
    throw new ApiError(message, response.status, detail);
  }
  return data;
}
