import { api, withQuery } from "../api.js";
import { button, element, empty, field, input, kwh, link, select, table, typingIn, when } from "../dom.js";

const PAGE = 50;

function filters() {
  const q = new URLSearchParams(location.search);
  return {
    state: q.get("state") || "",
    charge_point_id: q.get("charge_point_id") || "",
    id_tag: q.get("id_tag") || "",
    cursor: q.get("cursor") || "",
  };
}

function go(params, render) {
  history.pushState(null, "", withQuery("/sessions", params));
  render();
}

export async function sessions(view, _params, render) {
  const wanted = filters();
  const page = await api(withQuery("/api/v1/transactions", { limit: PAGE, ...wanted }));
  if (typingIn(view)) return;
  const form = element("form", undefined, "filters");
  form.setAttribute("role", "search");
  const state = select("filter-state", [["", "running or ended"], ["open", "running"], ["closed", "ended"]], wanted.state);
  const cp = input("filter-charge-point", wanted.charge_point_id, { type: "search" });
  const tag = input("filter-id-tag", wanted.id_tag, { type: "search" });
  form.append(field("State", state), field("Charge point id", cp), field("Id tag", tag), button("Apply", "submit"));
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    document.activeElement.blur();
    go({ state: state.value, charge_point_id: cp.value.trim(), id_tag: tag.value.trim() }, render);
  });
  state.addEventListener("change", () => form.requestSubmit());
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
  const pager = element("nav", undefined, "pager");
  pager.setAttribute("aria-label", "pages");
  const first = button("First page");
  first.disabled = !wanted.cursor;
  first.addEventListener("click", () => go({ ...wanted, cursor: "" }, render));
  const next = button("Next page");
  next.disabled = !page.next_cursor;
  next.addEventListener("click", () => go({ ...wanted, cursor: page.next_cursor }, render));
  pager.append(first, next);
  view.replaceChildren(element("h1", "Sessions"), form, list, pager);
}
