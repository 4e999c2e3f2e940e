import { api, id } from "../api.js";
import { button, element, empty, field, input, link, message, say, table, typingIn } from "../dom.js";

const EXAMPLE = {
  currency: "EUR",
  vat_percent: "19",
  elements: [{ price_components: [{ type: "ENERGY", price: "0.39", step_size: 1 }] }],
};

function editor(tariffId, definition, render) {
  const form = element("form", undefined, "card wide");
  form.id = "tariff-form";
  const name = input("tariff-id", tariffId || "", { required: "", maxlength: "64", autocomplete: "off" });
  if (tariffId) name.readOnly = true;
  const body = element("textarea");
  body.id = "tariff-definition";
  body.rows = 14;
  body.spellcheck = false;
  body.value = JSON.stringify(definition, null, 2);
  const note = message("tariff-message");
  form.append(element("h2", tariffId ? `Edit tariff ${tariffId}` : "Create a tariff"),
    field("Tariff id", name), field("Definition (JSON)", body), button("Save", "submit"), note);
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    let parsed;
    try {
      parsed = JSON.parse(body.value);
    } catch (error) {
      say(note, `The definition is not JSON: ${error.message}`, true);
      return;
    }
    try {
      await api(`/api/v1/tariffs/${id(name.value.trim())}`, "PUT", parsed);
      document.activeElement.blur();
      history.pushState(null, "", `/tariffs/${id(name.value.trim())}`);
      await render();
      say(document.getElementById("tariff-message"), "Saved.");
    } catch (error) {
      say(note, error.message, true);
    }
  });
  return form;
}

function assignForm(tariffId, render) {
  const form = element("form", undefined, "card wide");
  form.id = "assign-form";
  const cp = input("assign-charge-point", "", { required: "", autocomplete: "off" });
  const note = message("assign-message");
  form.append(element("h2", "Assign to a charge point"), field("Charge point id", cp), button("Assign", "submit"), note);
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    try {
      await api(`/api/v1/charge-points/${id(cp.value.trim())}/tariff`, "PUT", { tariff_id: tariffId });
      document.activeElement.blur();
      await render();
      say(document.getElementById("assign-message"), `Assigned to ${cp.value.trim()}.`);
    } catch (error) {
      say(note, error.message, true);
    }
  });
  return form;
}

export async function tariffs(view, _params, render) {
  const page = await api("/api/v1/tariffs?limit=200");
  if (typingIn(view)) return "live";
  const list = page.items.length === 0
    ? empty("No tariffs yet: sessions are recorded but not priced. Create one below.")
    : table(["tariff", "currency", "VAT %", "elements"], page.items.map((t) => [
      link(t.id, `/tariffs/${id(t.id)}`), t.currency, t.vat_percent, t.elements.length]));
  list.id = "tariff-list";
  view.replaceChildren(element("h1", "Tariffs"), list, editor(null, EXAMPLE, render));
  // A form the operator fills must not be redrawn under them.
  return "still";
}

export async function tariff(view, [tariffId], render) {
  const path = `/api/v1/tariffs/${id(tariffId)}`;
  const [definition, assigned] = await Promise.all([api(path), api(`${path}/charge-points?limit=100`)]);
  const { id: _id, ...editable } = definition;
  const used = assigned.items.length === 0
    ? empty("Assigned to no charge point.")
    : table(["charge point", "state"], assigned.items.map((cp) => [
      link(cp.id, `/charge-points/${id(cp.id)}`), cp.online ? "online" : "offline"]));
  used.id = "tariff-charge-points";
  view.replaceChildren(element("h1", `Tariff ${tariffId}`), editor(tariffId, editable, render),
    element("h2", "Charge points"), used, assignForm(tariffId, render));
  return "still";
}
