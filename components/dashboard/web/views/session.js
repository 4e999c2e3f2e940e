import { api } from "../api.js";
import { lineChart } from "../chart.js";
import { button, element, empty, facts, kwh, link, message, say, table, when } from "../dom.js";

const REGISTER = "Energy.Active.Import.Register";
const POWER = "Power.Active.Import";
// Samples the session view reads at most; a session sampled every minute for a day fits.
const MAX_SAMPLES = 5000;

async function samples(transaction) {
  const all = transaction.meter_values.slice();
  let cursor = transaction.meter_values_next_cursor;
  while (cursor && all.length < MAX_SAMPLES) {
    const page = await api(`/api/v1/transactions/${transaction.id}/meter-values?limit=1000&cursor=${encodeURIComponent(cursor)}`);
    all.push(...page.items);
    cursor = page.next_cursor;
  }
  return all;
}

// Power in W whatever unit the station used; phases are summed per instant when the
// station sent no total.
function powerSeries(values) {
  const byInstant = new Map();
  for (const v of values.filter((v) => v.measurand === POWER)) {
    const watts = Number(v.value) * (v.unit === "kW" ? 1000 : 1);
    if (!Number.isFinite(watts)) continue;
    const entry = byInstant.get(v.sampled_at) || { total: null, phases: 0 };
    if (v.phase) entry.phases += watts;
    else entry.total = watts;
    byInstant.set(v.sampled_at, entry);
  }
  return [...byInstant].map(([at, e]) => ({ at: Date.parse(at), value: e.total ?? e.phases }))
    .sort((a, b) => a.at - b.at);
}

function registerSeries(values) {
  return values.filter((v) => v.measurand === REGISTER && v.value_wh !== null && !v.phase)
    .map((v) => ({ at: Date.parse(v.sampled_at), value: v.value_wh }))
    .sort((a, b) => a.at - b.at);
}

function cdrSection(cdr) {
  if (!cdr) return [empty("No charge detail record yet: it is written when the session ends.")];
  const items = cdr.line_items.length === 0
    ? empty("No line items.")
    : table(["item", "quantity", "unit price", "amount excl. VAT"], cdr.line_items.map((i) => [
      i.description, `${i.quantity} ${i.unit}`, i.unit_price, i.amount_excl_vat]));
  items.id = "cdr-line-items";
  const totals = facts([
    ["tariff", cdr.tariff_id],
    ["energy", kwh(cdr.energy_wh)],
    ["duration", `${cdr.duration_s} s (charging ${cdr.charging_s} s, idle ${cdr.idle_s} s)`],
    ["total excl. VAT", cdr.total_excl_vat ? `${cdr.total_excl_vat} ${cdr.currency}` : null],
    [`VAT (${cdr.vat_percent ?? "-"} %)`, cdr.vat_amount ? `${cdr.vat_amount} ${cdr.currency}` : null],
    ["total incl. VAT", cdr.total_incl_vat ? `${cdr.total_incl_vat} ${cdr.currency}` : null],
    ["pricing error", cdr.pricing_error],
    ["revised", cdr.revised_at],
  ]);
  totals.id = "cdr-totals";
  return [items, totals];
}

function closeForm(transaction, render) {
  const form = element("form", undefined, "card wide");
  form.id = "close-form";
  const note = message("close-message");
  form.append(element("h2", "Close this session"),
    element("p", "For a session the station never stopped: the stop is taken from its last energy register sample, and the station's own stop replaces it if it arrives later."),
    button("Close session", "submit", "danger"), note);
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    try {
      await api(`/api/v1/transactions/${transaction.id}/close`, "POST", {});
      render();
    } catch (error) {
      say(note, error.message, true);
    }
  });
  return form;
}

export async function session(view, [txId], render) {
  const t = await api(`/api/v1/transactions/${encodeURIComponent(txId)}`);
  const values = await samples(t);
  const flags = [t.flagged ? `flagged: ${t.flag_reason}` : "not flagged"];
  if (t.seq_no_gaps && t.seq_no_gaps.length > 0) flags.push(`missing events ${t.seq_no_gaps.join(", ")}`);
  const summary = facts([
    ["charge point", link(t.charge_point_id, `/charge-points/${encodeURIComponent(t.charge_point_id)}`)],
    ["EVSE / connector", `${t.evse_id} / ${t.evse_connector_id}`],
    ["OCPP version", t.ocpp_version],
    ["station's transaction id", t.station_transaction_id],
    ["id tag", t.id_tag],
    ["started", t.started_at],
    ["stopped", t.stopped_at ?? "running"],
    ["stop reason", t.stop_reason],
    ["meter start / stop", `${t.meter_start_wh} Wh / ${t.meter_stop_wh ?? "-"} Wh`],
    ["energy", kwh(t.energy_wh)],
    ["energy check", t.energy_check ?? "when it ends"],
    ["flags", flags.join("; ")],
    ["closed by", t.closed_by],
  ]);
  const charts = element("div", undefined, "charts");
  charts.append(
    lineChart({ id: "power-chart", title: "Power", unit: "W", points: powerSeries(values), format: (v) => Math.round(v).toString() }),
    lineChart({ id: "energy-chart", title: "Energy register", unit: "kWh", points: registerSeries(values).map((p) => ({ ...p, value: p.value / 1000 })), format: (v) => v.toFixed(2) }),
  );
  const parts = [element("h1", `Session ${t.id}`), summary, element("h2", "Meter values"), charts,
    element("h2", "Charge detail record"), ...cdrSection(t.charge_detail_record)];
  if (!t.stopped_at) parts.push(closeForm(t, render));
  view.replaceChildren(...parts);
  // An ended session with its record changes no more: no need to re-read it.
  return t.stopped_at && t.charge_detail_record ? "still" : "live";
}
