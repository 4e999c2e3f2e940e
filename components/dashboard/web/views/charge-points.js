import { api, withQuery } from "../api.js";
import { element, empty, field, input, link, select, statusChip, table, typingIn, when } from "../dom.js";
import { filterForm, pager, queryOf } from "../paged-list.js";

const PAGE = 50;
const STATUSES = ["Available", "Occupied", "Preparing", "Charging", "SuspendedEV", "SuspendedEVSE",
  "Finishing", "Reserved", "Unavailable", "Faulted"];

function connectors(cp) {
  const wrap = element("span", undefined, "chips");
  for (const c of cp.connectors.filter((c) => c.connector_id !== 0 || cp.connectors.length === 1)) {
    const label = c.connector_id === 0 ? `station ${c.status}` : `${c.evse_id}/${c.evse_connector_id} ${c.status}`;
    wrap.append(statusChip(c.status, label));
  }
  return cp.connectors.length === 0 ? "none reported" : wrap;
}

export async function chargePoints(view, _params, render) {
  const wanted = queryOf(["id_prefix", "status", "ocpp_version", "online"]);
  const page = await api(withQuery("/api/v1/charge-points", { limit: PAGE, ...wanted }));
  if (typingIn(view)) return;
  const prefix = input("filter-id", wanted.id_prefix, { type: "search", placeholder: "id starts with" });
  const status = select("filter-status", [["", "any status"], ...STATUSES], wanted.status);
  const version = select("filter-version", [["", "any version"], ["ocpp1.6", "1.6"], ["ocpp2.0.1", "2.0.1"]], wanted.ocpp_version);
  const online = select("filter-online", [["", "online or not"], ["true", "online"], ["false", "offline"]], wanted.online);
  const form = filterForm(
    [field("Search by id", prefix), field("Connector status", status), field("OCPP version", version), field("Connection", online)],
    [status, version, online],
    () => ({ id_prefix: prefix.value.trim(), status: status.value, ocpp_version: version.value, online: online.value }),
    "/charge-points", render);
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
  view.replaceChildren(element("h1", "Charge points"), form, content,
    pager("/charge-points", wanted, page.next_cursor, render));
}
