import { api, id, withQuery } from "../api.js";
import { button, element, empty, field, input, message, say, select, table, typingIn, when } from "../dom.js";

const STATUSES = ["Accepted", "Blocked"];

function entry(tag) {
  const { id_tag: _tag, updated_at: _updated, ...put } = tag;
  return put;
}

async function change(tag, update, render, note) {
  try {
    await api(`/api/v1/id-tags/${id(tag.id_tag)}`, "PUT", { ...entry(tag), ...update });
    await render();
  } catch (error) {
    say(note, error.message, true);
  }
}

function addForm(render) {
  const form = element("form", undefined, "card wide");
  form.id = "id-tag-form";
  const tag = input("new-id-tag", "", { required: "", maxlength: "36", autocomplete: "off" });
  const status = select("new-id-tag-status", STATUSES, "Accepted");
  const expiry = input("new-id-tag-expiry", "", { type: "datetime-local" });
  const note = message("id-tag-message");
  form.append(element("h2", "Add an id tag"), field("Id tag", tag), field("Status", status),
    field("Expires (UTC, optional)", expiry), button("Add", "submit"), note);
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    const body = { status: status.value };
    // datetime-local gives minutes, read here as UTC.
    if (expiry.value) body.expiry_date = `${expiry.value.slice(0, 16)}:00Z`;
    try {
      await api(`/api/v1/id-tags/${id(tag.value.trim())}`, "PUT", body);
      document.activeElement.blur();
      await render();
      say(document.getElementById("id-tag-message"), `${tag.value.trim()} saved.`);
    } catch (error) {
      say(note, error.message, true);
    }
  });
  return form;
}

export async function idTags(view, _params, render) {
  const status = new URLSearchParams(location.search).get("status") || "";
  const page = await api(withQuery("/api/v1/id-tags", { limit: 200, status }));
  if (typingIn(view)) return "live";
  const note = message("id-tag-action-message");
  const list = page.items.length === 0
    ? empty(status ? `No id tag is ${status}.` : "No id tags yet: add one below.")
    : table(["id tag", "status", "expires", "parent", "actions"], page.items.map((tag) => {
      const actions = element("span", undefined, "actions");
      const block = button(tag.status === "Blocked" ? "Unblock" : "Block", "button", "small");
      block.setAttribute("aria-label", `${block.textContent} ${tag.id_tag}`);
      block.addEventListener("click", () => change(tag,
        { status: tag.status === "Blocked" ? "Accepted" : "Blocked" }, render, note));
      const expire = button("Expire now", "button", "small");
      expire.setAttribute("aria-label", `Expire now ${tag.id_tag}`);
      expire.addEventListener("click", () => change(tag,
        { expiry_date: new Date().toISOString().replace(/\.\d+Z$/, "Z") }, render, note));
      actions.append(block, expire);
      const expired = tag.expiry_date && Date.parse(tag.expiry_date) <= Date.now();
      return [tag.id_tag, expired ? `${tag.status}, expired` : tag.status, when(tag.expiry_date),
        tag.parent_id_tag, actions];
    }));
  list.id = "id-tag-list";
  const filter = select("filter-id-tag-status", [["", "any status"], ...STATUSES], status);
  filter.addEventListener("change", () => {
    history.pushState(null, "", withQuery("/id-tags", { status: filter.value }));
    render();
  });
  view.replaceChildren(element("h1", "Id tags"), field("Status", filter), list, note, addForm(render));
  return "still";
}
