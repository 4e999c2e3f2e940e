// The dashboard: signs in with an API token (kept in sessionStorage only) and renders the
// view the URL names from the REST API. Data is put in the page with textContent only, never
// as HTML, so nothing a station reports can run as script.

const TOKEN_KEY = "csms.api-token";
// A view re-reads what it shows this often, so station changes appear without a reload.
const REFRESH_MS = 4000;
const $ = (id) => document.getElementById(id);

class ApiError extends Error {
  constructor(status, detail) {
    super(detail);
    this.status = status;
  }
}

async function api(path) {
  const token = sessionStorage.getItem(TOKEN_KEY);
  const response = await fetch(path, { headers: { Authorization: `Bearer ${token}` } });
  const body = await response.json().catch(() => ({}));
  if (!response.ok) {
    throw new ApiError(response.status, body.detail || response.statusText);
  }
  return body;
}

function element(tag, text, className) {
  const node = document.createElement(tag);
  if (text !== undefined) node.textContent = String(text);
  if (className) node.className = className;
  return node;
}

function showSignIn(message) {
  clearInterval(refresh);
  sessionStorage.removeItem(TOKEN_KEY);
  $("nav").hidden = true;
  $("sign-out").hidden = true;
  $("view").replaceChildren();
  $("sign-in").hidden = false;
  $("sign-in-error").textContent = message || "";
  $("token").focus();
}

async function overview(view) {
  const page = await api("/api/v1/charge-points?limit=500");
  const online = page.items.filter((cp) => cp.online).length;
  const tiles = element("div", undefined, "tiles");
  for (const [label, value] of [
    ["charge points", page.items.length + (page.next_cursor ? "+" : "")],
    ["online", online],
    ["offline", page.items.length - online],
  ]) {
    const tile = element("div", undefined, "tile");
    tile.append(element("strong", value), element("span", label));
    tiles.append(tile);
  }
  view.replaceChildren(element("h1", "Overview"), tiles);
}

async function chargePoints(view) {
  const page = await api("/api/v1/charge-points?limit=50");
  view.replaceChildren(element("h1", "Charge points"));
  if (page.items.length === 0) {
    view.append(element("p", "No charge points are registered yet.", "empty"));
    return;
  }
  const table = element("table");
  const head = element("tr");
  for (const title of ["id", "state", "OCPP", "last heartbeat", "registration"]) {
    head.append(element("th", title));
  }
  table.append(head);
  for (const cp of page.items) {
    const row = element("tr");
    row.dataset.id = cp.id;
    row.append(
      element("td", cp.id),
      element("td", cp.online ? "online" : "offline", cp.online ? "online" : "offline"),
      element("td", cp.ocpp_version || "-"),
      element("td", cp.last_heartbeat_at || "-"),
      element("td", cp.registration_status),
    );
    table.append(row);
  }
  view.append(table);
}

const VIEWS = [
  [/^\/$/, overview],
  [/^\/charge-points\/?$/, chargePoints],
];

async function render() {
  const path = location.pathname;
  for (const link of document.querySelectorAll("#nav a")) {
    if (link.getAttribute("href") === path) link.setAttribute("aria-current", "page");
    else link.removeAttribute("aria-current");
  }
  const view = $("view");
  const found = VIEWS.find(([pattern]) => pattern.test(path));
  if (!found) {
    view.replaceChildren(element("h1", "Not found"), element("p", `Nothing is at ${path}.`, "empty"));
    return;
  }
  try {
    await found[1](view);
  } catch (error) {
    if (error instanceof ApiError && error.status === 401) {
      showSignIn("This token was refused: it is wrong or has been revoked.");
    } else {
      view.replaceChildren(element("p", `Could not load this view: ${error.message}`, "error"));
    }
  }
}

let refresh = null;

function signedIn() {
  $("sign-in").hidden = true;
  $("nav").hidden = false;
  $("sign-out").hidden = false;
  render();
  clearInterval(refresh);
  refresh = setInterval(() => {
    if (sessionStorage.getItem(TOKEN_KEY) && !document.hidden) render();
  }, REFRESH_MS);
}

async function signIn(event) {
  event.preventDefault();
  sessionStorage.setItem(TOKEN_KEY, $("token").value.trim());
  $("token").value = "";
  try {
    await api("/api/v1/charge-points?limit=1");
    signedIn();
  } catch (error) {
    showSignIn(error instanceof ApiError && error.status === 401
      ? "This token was refused: it is wrong or has been revoked."
      : `Could not reach the API: ${error.message}`);
  }
}

function navigate(event) {
  const link = event.target.closest("a");
  if (!link || link.origin !== location.origin) return;
  event.preventDefault();
  history.pushState(null, "", link.pathname);
  render();
}

$("sign-in").addEventListener("submit", signIn);
$("sign-out").addEventListener("click", () => showSignIn("Signed out."));
document.addEventListener("click", navigate);
window.addEventListener("popstate", render);

if (sessionStorage.getItem(TOKEN_KEY)) signedIn();
else showSignIn();
