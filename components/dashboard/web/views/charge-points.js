import { api, withQuery } from "../api.js";
import { button, element, empty, field, input, link, select, statusChip, table, typingIn, when } from "../dom.js";

const PAGE = 50;
const STATUSES = ["Available", "Occupied", "Preparing", "Charging", "SuspendedEV", "SuspendedEVSE",
  "Finishing", "Reserved", "Unavailable", "Faulted"];

// Search and filters live in the URL, so a filtered list is a link, survives a reload and
// the back button; the cursors of the pages seen are kept to page back.
function filters() {
  const q = new URLSearchParams(location.search);
  return {
    id_prefix: q.get("id_prefix") || "",
    status: q.get("status") || "",
    ocpp_version: q.get("ocpp_version") || "",
    online: q.get("online") || "",
    cursor: q.get("cursor") || "",
  };
}

function go(params, render) {
  history.pushState(null, "", withQuery("/charge-points", params));
  render();
}

function connectors(cp) {
  const wrap = element("span", undefined, "chips");
  for (const c of cp.connectors.filter((c) => c.connector_id !== 0 || cp.connectors.length === 1)) {
    const label = c.connector_id === 0 ? `station ${c.status}` : `${c.evse_id}/${c.evse_connector_id} ${c.status}`;
    wrap.append(statusChip(c.status, label));
  }
  return cp.connectors.length === 0 ? "none reported" : wrap;
}

export async function chargePoints(view, _params, render) {
  const wanted = filters();
  const page = await api(withQuery("/api/v1/charge-points", { limit: PAGE, ...wanted }));
  if (typingIn(view)) return;
  const form = element("form", undefined, "filters");
  form.setAttribute("role", "search");
  const prefix = input("filter-id", wanted.id_prefix, { type: "search", placeholder: "id starts with" });
  const status = select("filter-status", [["", "any status"], ...STATUSES], wanted.status);
  const version = select("filter-version", [["", "any version"], ["ocpp1.6", "1.6"], ["ocpp2.0.1", "2.0.1"]], wanted.ocpp_version);
  const online = select("filter-online", [["", "online or not"], ["true", "online"], ["false", "offline"]], wanted.online);
  form.append(field("Search by id", prefix), field("Connector status", status),
    field("OCPP version", version), field("Connection", online), button("Apply", "submit"));
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    document.activeElement.blur();
    go({ id_prefix: prefix.value.trim(), status: status.value, ocpp_version: version.value,
      online: online.value }, render);
  });
  for (const control of [status, version, online]) {
    control.addEventListener("change", () => form.requestSubmit());
  }
  const content = page.items.length === 0
    ? empty(wanted.id_prefix || wanted.status || wanted.ocpp_version || wanted.online
      ? "No charge point matches these filters on this page."
      : "No charge points are registered yet. Register one with PUT /api/v1/charge-points/{id}.")
    : table(["id", "state", "OCPP", "last heartbeat", "connectors", "registration"], page.items.map((cp) => [
      link(cp.id, `/charge-points/${encodeURIComponent(cp.id)}`),
      element("span", cp.online ? "online" : "offline", cp.online ? "online" : "offline"),
      cp.ocpp_version, when(cp.last_heartbeat_at), connectors(cp), cp.registration_status]));
  if (content.tagName === "TABLE") {
    content.id = "charge-point-list";
    content.querySelectorAll("tr").forEach((row, index) => {
      if (index > 0) row.dataset.id = page.items[index - 1].id;
    });
  }
  const pager = element("nav", undefined, "pager");
  pager.setAttribute("aria-label", "pages");
  const first = button("First page");
  first.disabled = !wanted.cursor;
  first.addEventListener("click", () => go({ ...wanted, cursor: "" }, render));
  const next = button("Next page");
  next.id = "next-page";
  next.disabled = !page.next_cursor;
  next.addEventListener("click", () => go({ ...wanted, cursor: page.next_cursor }, render));
  pager.append(first, next);
  view.replaceChildren(element("h1", "Charge points"), form, content, pager);
}
