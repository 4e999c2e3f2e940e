import { api, withQuery } from "../api.js";
import { element, empty, field, input, kwh, link, select, table, typingIn, when } from "../dom.js";
import { filterForm, pager, queryOf } from "../paged-list.js";

const PAGE = 50;

export async function sessions(view, _params, render) {
  const wanted = queryOf(["state", "charge_point_id", "id_tag"]);
  const page = await api(withQuery("/api/v1/transactions", { limit: PAGE, ...wanted }));
  if (typingIn(view)) return;
  const state = select("filter-state", [["", "running or ended"], ["open", "running"], ["closed", "ended"]], wanted.state);
  const cp = input("filter-charge-point", wanted.charge_point_id, { type: "search" });
  const tag = input("filter-id-tag", wanted.id_tag, { type: "search" });
  const form = filterForm([field("State", state), field("Charge point id", cp), field("Id tag", tag)], [state],
    () => ({ state: state.value, charge_point_id: cp.value.trim(), id_tag: tag.value.trim() }), "/sessions", render);
  const list = page.items.length === 0
    ? empty("No session matches. Sessions appear when a station starts a transaction.")
    : table(["session", "charge point", "EVSE", "id tag", "started", "stopped", "energy", "total", "flags"],
      page.items.map((t) => {
        const cdr = t.charge_detail_record;
        return [
          link(String(t.id), `/sessions/${t.id}`),
          link(t.charge_point_id, `/charge-points/${encodeURIComponent(t.charge_point_id)}`),
          t.evse_id, t.id_tag, when(t.started_at), t.stopped_at ? when(t.stopped_at) : "running",
          kwh(t.energy_wh), cdr && cdr.total_incl_vat ? `${cdr.total_incl_vat} ${cdr.currency}` : "-",
          t.flagged ? `flagged: ${t.flag_reason}` : "",
        ];
      }));
  list.id = "session-list";
  view.replaceChildren(element("h1", "Sessions"), form, list, pager("/sessions", wanted, page.next_cursor, render));
}
