// What the paged lists share (charge points, sessions): their filters and page live in the
// URL's query, so a filtered list is a link that survives a reload and the back button, and
// a pager that follows the API's cursor.

import { withQuery } from "./api.js";
import { button, element } from "./dom.js";

// The query's values of `names`, and its `cursor`; missing ones are "".
export function queryOf(names) {
  const q = new URLSearchParams(location.search);
  const wanted = {};
  for (const name of [...names, "cursor"]) wanted[name] = q.get(name) || "";
  return wanted;
}

// Shows `path` with `params` as a new history entry.
export function go(path, params, render) {
  history.pushState(null, "", withQuery(path, params));
  render();
}

// A search form of `fields`; submitting it (or changing one of `instant`) shows the first
// page of `path` with the values `read()` gives.
export function filterForm(fields, instant, read, path, render) {
  const form = element("form", undefined, "filters");
  form.setAttribute("role", "search");
  form.append(...fields, button("Apply", "submit"));
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    document.activeElement.blur();
    go(path, read(), render);
  });
  for (const control of instant) control.addEventListener("change", () => form.requestSubmit());
  return form;
}

export function pager(path, wanted, nextCursor, render) {
  const nav = element("nav", undefined, "pager");
  nav.setAttribute("aria-label", "pages");
  const first = button("First page");
  first.disabled = !wanted.cursor;
  first.addEventListener("click", () => go(path, { ...wanted, cursor: "" }, render));
  const next = button("Next page");
  next.id = "next-page";
  next.disabled = !nextCursor;
  next.addEventListener("click", () => go(path, { ...wanted, cursor: nextCursor }, render));
  nav.append(first, next);
  return nav;
}
