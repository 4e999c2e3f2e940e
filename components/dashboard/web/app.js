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

async function api(path, method = "GET", payload = undefined) {
  const token = sessionStorage.getItem(TOKEN_KEY);
  const headers = { Authorization: `Bearer ${token}` };
  if (payload !== undefined) headers["Content-Type"] = "application/json";
  const response = await fetch(path, {
    method,
    headers,
    body: payload === undefined ? undefined : JSON.stringify(payload),
  });
  const answer = await response.json().catch(() => ({}));
  if (!response.ok) {
    throw new ApiError(response.status, answer.detail || response.statusText);
  }
  return answer;
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
    const link = element("a", cp.id);
    link.href = `/charge-points/${encodeURIComponent(cp.id)}`;
    const idCell = element("td");
    idCell.append(link);
    row.append(
      idCell,
      element("td", cp.online ? "online" : "offline", cp.online ? "online" : "offline"),
      element("td", cp.ocpp_version || "-"),
      element("td", cp.last_heartbeat_at || "-"),
      element("td", cp.registration_status),
    );
    table.append(row);
  }
  view.append(table);
}

function table(titles, rows) {
  const node = element("table");
  const head = element("tr");
  for (const title of titles) head.append(element("th", title));
  node.append(head);
  for (const cells of rows) {
    const row = element("tr");
    for (const cell of cells) row.append(element("td", cell ?? "-"));
    node.append(row);
  }
  return node;
}

// What an operator most often sends, with a payload valid in the station's version.
const DEFAULT_COMMAND = {
  "ocpp1.6": ["Reset", { type: "Soft" }],
  "ocpp2.0.1": ["Reset", { type: "Immediate" }],
};

function commandForm(id, version, status) {
  const form = element("form", undefined, "card");
  form.id = "command-form";
  const [action, payload] = DEFAULT_COMMAND[version] || DEFAULT_COMMAND["ocpp1.6"];
  const actionLabel = element("label", "Action");
  actionLabel.htmlFor = "command-action";
  const actionInput = element("input");
  actionInput.id = "command-action";
  actionInput.required = true;
  actionInput.value = action;
  const payloadLabel = element("label", "Payload (JSON, in the station's OCPP version)");
  payloadLabel.htmlFor = "command-payload";
  const payloadInput = element("textarea");
  payloadInput.id = "command-payload";
  payloadInput.rows = 4;
  payloadInput.value = JSON.stringify(payload);
  const send = element("button", "Send");
  send.type = "submit";
  const message = element("p", status || "", "note");
  message.id = "command-message";
  message.setAttribute("role", "alert");
  form.append(element("h2", "Send a command"), actionLabel, actionInput, payloadLabel,
    payloadInput, send, message);
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    let body;
    try {
      body = JSON.parse(payloadInput.value || "{}");
    } catch (error) {
      message.className = "error";
      message.textContent = `The payload is not JSON: ${error.message}`;
      return;
    }
    try {
      const queued = await api(
        `/api/v1/charge-points/${encodeURIComponent(id)}/commands/${encodeURIComponent(actionInput.value.trim())}`,
        "POST", body);
      lastCommandMessage = `Command ${queued.command_id} queued.`;
      document.activeElement.blur();
      render();
    } catch (error) {
      message.className = "error";
      message.textContent = error.message;
    }
  });
  return form;
}

// Kept across refreshes, so the answer to a send stays on screen.
let lastCommandMessage = "";

async function chargePoint(view, id) {
  const path = `/api/v1/charge-points/${encodeURIComponent(id)}`;
  const [cp, commands] = await Promise.all([api(path), api(`${path}/commands?limit=20`)]);
  // A form being typed into is not replaced by a refresh.
  const typing = document.activeElement;
  if (view.contains(typing) && typing.matches("input, textarea")) return;
  const facts = element("dl", undefined, "facts");
  for (const [term, value] of [
    ["state", cp.online ? "online" : "offline"],
    ["OCPP version", cp.ocpp_version],
    ["vendor", cp.boot.vendor],
    ["model", cp.boot.model],
    ["firmware", cp.boot.firmware_version],
    ["last boot", cp.boot.last_boot_at],
    ["last heartbeat", cp.last_heartbeat_at],
    ["registration", cp.registration_status],
    ["security profile", cp.security_profile],
  ]) {
    facts.append(element("dt", term), element("dd", value ?? "-"));
  }
  const connectors = cp.connectors.length === 0
    ? element("p", "No connector has reported a status yet.", "empty")
    : table(["connector", "EVSE", "status", "error", "since"], cp.connectors.map((c) => [
      c.connector_id, c.evse_id, c.status, c.error_code, c.status_at]));
  const sent = commands.items.length === 0
    ? element("p", "No commands have been sent to this station.", "empty")
    : table(["id", "action", "state", "answer", "created"], commands.items.map((c) => [
      c.id, c.action, c.state,
      c.response ? JSON.stringify(c.response) : c.error ? `${c.error.code}: ${c.error.description}` : "-",
      c.created_at]));
  sent.id = "commands";
  view.replaceChildren(element("h1", cp.id), facts, element("h2", "Connectors"), connectors,
    commandForm(cp.id, cp.ocpp_version, lastCommandMessage), element("h2", "Commands"), sent);
}

const VIEWS = [
  [/^\/$/, overview],
  [/^\/charge-points\/?$/, chargePoints],
  [/^\/charge-points\/([^/]+)$/, chargePoint],
];

let renderedPath = null;

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
  if (path !== renderedPath) lastCommandMessage = "";
  renderedPath = path;
  const params = found[0].exec(path).slice(1).map(decodeURIComponent);
  try {
    await found[1](view, ...params);
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
