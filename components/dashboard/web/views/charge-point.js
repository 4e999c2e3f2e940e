import { api, id, withQuery } from "../api.js";
import {
  button, element, empty, facts, field, kwh, link, message, say, select, statusChip, table,
  typingIn, when,
} from "../dom.js";

// A starting payload for the commands operators send most, in each version's schema; any
// other action starts from {} and the API names what is missing.
const EXAMPLES = {
  "ocpp1.6": {
    Reset: { type: "Soft" },
    ChangeAvailability: { connectorId: 1, type: "Inoperative" },
    UnlockConnector: { connectorId: 1 },
    TriggerMessage: { requestedMessage: "StatusNotification" },
    RemoteStartTransaction: { idTag: "TAG-1", connectorId: 1 },
    RemoteStopTransaction: { transactionId: 1 },
    GetConfiguration: {},
    ChangeConfiguration: { key: "HeartbeatInterval", value: "300" },
    ClearCache: {},
    DataTransfer: { vendorId: "vendor" },
  },
  "ocpp2.0.1": {
    Reset: { type: "Immediate" },
    ChangeAvailability: { operationalStatus: "Inoperative", evse: { id: 1 } },
    UnlockConnector: { evseId: 1, connectorId: 1 },
    TriggerMessage: { requestedMessage: "StatusNotification", evse: { id: 1, connectorId: 1 } },
    RequestStartTransaction: { idToken: { idToken: "TAG-1", type: "ISO14443" }, evseId: 1 },
    RequestStopTransaction: { transactionId: "1" },
    GetBaseReport: { requestId: 1, reportBase: "FullInventory" },
    GetVariables: { getVariableData: [{ component: { name: "OCPPCommCtrlr" }, variable: { name: "HeartbeatInterval" } }] },
    SetVariables: { setVariableData: [{ component: { name: "OCPPCommCtrlr" }, variable: { name: "HeartbeatInterval" }, attributeValue: "300" }] },
    ClearCache: {},
    DataTransfer: { vendorId: "vendor" },
  },
};

let actionsCache = null;
// Kept across refreshes, so the answer to a send stays on screen.
let lastCommandMessage = "";
let messageFor = null;

async function actions() {
  if (!actionsCache) actionsCache = (await api("/api/v1/command-actions")).items;
  return actionsCache;
}

function commandForm(cp, available, render) {
  const version = cp.ocpp_version || "ocpp1.6";
  const examples = EXAMPLES[version] || {};
  const offered = available.filter((a) => a.ocpp_version === version);
  const form = element("form", undefined, "card wide");
  form.id = "command-form";
  const action = select("command-action", offered.map((a) => [a.action,
    a.required_role === "admin" ? `${a.action} (admin)` : a.action]), "Reset");
  const payload = element("textarea");
  payload.id = "command-payload";
  payload.rows = 5;
  payload.spellcheck = false;
  const fill = () => { payload.value = JSON.stringify(examples[action.value] ?? {}, null, 2); };
  fill();
  action.addEventListener("change", fill);
  const note = message("command-message");
  if (messageFor === cp.id) say(note, lastCommandMessage);
  form.append(element("h2", `Send a command (OCPP ${version.replace("ocpp", "")})`),
    field("Action", action), field("Payload (JSON, in the station's OCPP version)", payload),
    button("Send", "submit"), note);
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    let body;
    try {
      body = JSON.parse(payload.value || "{}");
    } catch (error) {
      say(note, `The payload is not JSON: ${error.message}`, true);
      return;
    }
    try {
      const queued = await api(`/api/v1/charge-points/${id(cp.id)}/commands/${id(action.value)}`, "POST", body);
      lastCommandMessage = `Command ${queued.command_id} (${action.value}) queued; its answer appears under Commands.`;
      messageFor = cp.id;
      document.activeElement.blur();
      render();
    } catch (error) {
      say(note, error.message, true);
    }
  });
  return form;
}

async function timelines(cp) {
  const wrap = element("div", undefined, "timelines");
  wrap.id = "status-timelines";
  const evses = [...new Set(cp.connectors.map((c) => c.connector_id))];
  const histories = await Promise.all(evses.map((evse) =>
    api(`/api/v1/charge-points/${id(cp.id)}/connectors/${evse}/status-history?limit=12`)));
  evses.forEach((evse, index) => {
    const row = element("div", undefined, "timeline");
    row.append(element("h3", evse === 0 ? "Station" : `EVSE ${evse}`));
    const list = element("ol");
    for (const change of histories[index].items.slice().reverse()) {
      const item = element("li");
      item.append(statusChip(change.status), " ", when(change.status_at));
      if (change.error_code && change.error_code !== "NoError") item.append(` ${change.error_code}`);
      list.append(item);
    }
    row.append(histories[index].items.length === 0 ? empty("No status change recorded.") : list);
    wrap.append(row);
  });
  return wrap;
}

async function settings(cp) {
  if (cp.ocpp_version === "ocpp2.0.1") {
    const model = await api(`/api/v1/charge-points/${id(cp.id)}/variables`);
    if (model.items.length === 0) return empty("No device model reported yet: send GetBaseReport.");
    return table(["component", "variable", "attribute", "value", "mutability"], model.items.slice(0, 100).map((v) => [
      [v.component, v.component_instance, v.evse_id].filter((x) => x !== null && x !== undefined).join(" "),
      v.variable_instance ? `${v.variable} ${v.variable_instance}` : v.variable,
      v.attribute_type, v.value, v.mutability]));
  }
  const config = await api(`/api/v1/charge-points/${id(cp.id)}/configuration`);
  if (config.keys.length === 0) return empty("No configuration reported yet: send GetConfiguration.");
  return table(["key", "value", "read-only"], config.keys.map((k) => [k.key, k.value,
    k.readonly === null ? "unknown" : k.readonly ? "yes" : "no"]));
}

export async function chargePoint(view, [cpId], render) {
  const path = `/api/v1/charge-points/${id(cpId)}`;
  const [cp, commands, sessions, available] = await Promise.all([
    api(path), api(`${path}/commands?limit=20`),
    api(withQuery("/api/v1/transactions", { charge_point_id: cpId, limit: 10 })), actions()]);
  const [history, config] = await Promise.all([timelines(cp), settings(cp)]);
  // A form being typed into is not replaced by a refresh.
  if (typingIn(view)) return;
  const boot = facts([
    ["state", cp.online ? "online" : "offline"],
    ["OCPP version", cp.ocpp_version],
    ["vendor", cp.boot.vendor],
    ["model", cp.boot.model],
    ["serial number", cp.boot.serial_number],
    ["firmware", cp.boot.firmware_version],
    ["last boot", cp.boot.last_boot_at],
    ["last heartbeat", cp.last_heartbeat_at],
    ["registration", cp.registration_status],
    ["security profile", cp.security_profile],
    ["tariff", cp.tariff_id ?? "none (the default)"],
  ]);
  const connectors = cp.connectors.length === 0
    ? empty("No connector has reported a status yet.")
    : table(["EVSE", "connector", "status", "error", "since"], cp.connectors.map((c) => [
      c.evse_id, c.evse_connector_id, statusChip(c.status), c.error_code, when(c.status_at)]));
  const sessionList = sessions.items.length === 0
    ? empty("No session on this station yet.")
    : table(["session", "EVSE", "id tag", "started", "stopped", "energy"], sessions.items.map((t) => [
      link(String(t.id), `/sessions/${t.id}`), t.evse_id, t.id_tag, when(t.started_at),
      t.stopped_at ? when(t.stopped_at) : "running", kwh(t.energy_wh)]));
  const sent = commands.items.length === 0
    ? empty("No commands have been sent to this station.")
    : table(["id", "action", "state", "answer", "created"], commands.items.map((c) => [
      c.id, c.action, c.state,
      c.response ? JSON.stringify(c.response) : c.error ? `${c.error.code}: ${c.error.description}` : "-",
      when(c.created_at)]));
  sent.id = "commands";
  view.replaceChildren(
    element("h1", cp.id), boot,
    element("h2", "Connectors"), connectors,
    element("h2", "Status timeline"), history,
    commandForm(cp, available, render),
    element("h2", "Commands"), sent,
    element("h2", "Sessions"), sessionList,
    element("h2", cp.ocpp_version === "ocpp2.0.1" ? "Device model" : "Configuration"), config,
  );
}
