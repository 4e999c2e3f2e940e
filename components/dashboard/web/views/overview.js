import { api } from "../api.js";
import { element, empty, kwh, link, table, tiles, when } from "../dom.js";

export async function overview(view) {
  const o = await api("/api/v1/overview");
  const cp = o.charge_points;
  const revenue = o.today.revenue.length === 0
    ? "none"
    : o.today.revenue.map((r) => `${r.total_incl_vat} ${r.currency}`).join(", ");
  const faults = o.latest_faults.length === 0
    ? empty("No station has reported a fault.")
    : table(["charge point", "EVSE / connector", "status", "error", "at"], o.latest_faults.map((f) => [
      link(f.charge_point_id, `/charge-points/${encodeURIComponent(f.charge_point_id)}`),
      `${f.evse_id} / ${f.connector_id}`, f.status, f.info ? `${f.error_code} (${f.info})` : f.error_code,
      when(f.status_at)]));
  const events = o.latest_security_events.length === 0
    ? empty("No security event has been reported or seen.")
    : table(["charge point", "source", "type", "received"], o.latest_security_events.map((e) => [
      link(e.charge_point_id, `/charge-points/${encodeURIComponent(e.charge_point_id)}`),
      e.source, e.type, when(e.received_at)]));
  faults.id = "latest-faults";
  events.id = "latest-security-events";
  const network = tiles([
    ["charge points", cp.total],
    ["online", cp.online, "ok"],
    ["offline", cp.offline],
    ["charging", cp.charging, "busy"],
    ["faulted", cp.faulted, cp.faulted > 0 ? "bad" : undefined],
    ["sessions running", o.sessions_running],
  ]);
  network.id = "network";
  const today = tiles([
    ["sessions ended", o.today.sessions_stopped],
    ["energy", kwh(o.today.energy_wh)],
    ["revenue incl. VAT", revenue],
  ]);
  today.id = "today";
  view.replaceChildren(
    element("h1", "Overview"), network,
    element("h2", `Today (${o.today.date}, UTC)`), today,
    element("h2", "Latest faults"), faults,
    element("h2", "Latest security events"), events,
  );
}
