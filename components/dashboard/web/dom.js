// Building the page. Everything is put in with textContent, never as HTML, so nothing a
// station or an operator wrote can run as script.

export const $ = (selector) => document.getElementById(selector);

export function element(tag, text, className) {
  const node = document.createElement(tag);
  if (text !== undefined && text !== null) node.textContent = String(text);
  if (className) node.className = className;
  return node;
}

export function link(text, href) {
  const node = element("a", text);
  node.href = href;
  return node;
}

// A table: each cell is text or a ready node.
export function table(titles, rows, caption) {
  const node = element("table");
  if (caption) node.append(element("caption", caption));
  const head = element("tr");
  for (const title of titles) {
    const th = element("th", title);
    th.scope = "col";
    head.append(th);
  }
  node.append(head);
  for (const cells of rows) {
    const row = element("tr");
    for (const cell of cells) {
      const td = element("td");
      if (cell instanceof Node) td.append(cell);
      else td.textContent = cell === undefined || cell === null || cell === "" ? "-" : String(cell);
      row.append(td);
    }
    node.append(row);
  }
  return node;
}

export function facts(pairs) {
  // A value may be a ready node (a link) or text.
  const node = element("dl", undefined, "facts");
  for (const [term, value] of pairs) {
    const dd = element("dd");
    if (value instanceof Node) dd.append(value);
    else dd.textContent = value === undefined || value === null || value === "" ? "-" : String(value);
    node.append(element("dt", term), dd);
  }
  return node;
}

export function empty(text) {
  return element("p", text, "empty");
}

export function tiles(pairs) {
  const node = element("div", undefined, "tiles");
  for (const [label, value, className] of pairs) {
    const tile = element("div", undefined, className ? `tile ${className}` : "tile");
    tile.append(element("strong", value), element("span", label));
    node.append(tile);
  }
  return node;
}

const STATUS_CLASS = {
  Available: "ok", Charging: "busy", Occupied: "busy", Preparing: "busy", SuspendedEV: "busy",
  SuspendedEVSE: "busy", Finishing: "busy", Reserved: "held", Unavailable: "off",
  Faulted: "bad",
};

// A connector's status as a coloured chip; the text carries the status, so colour is never
// the only sign.
export function statusChip(status, label) {
  return element("span", label ?? status, `chip ${STATUS_CLASS[status] || "off"}`);
}

// A labelled form control; `control` is an input, select or textarea with an id.
export function field(label, control) {
  const wrap = element("div", undefined, "field");
  const name = element("label", label);
  name.htmlFor = control.id;
  wrap.append(name, control);
  return wrap;
}

export function input(id, value = "", attributes = {}) {
  const node = element("input");
  node.id = id;
  node.value = value;
  for (const [name, attribute] of Object.entries(attributes)) node.setAttribute(name, attribute);
  return node;
}

export function select(id, options, value = "") {
  const node = element("select");
  node.id = id;
  for (const option of options) {
    const [optionValue, label] = Array.isArray(option) ? option : [option, option];
    const item = element("option", label);
    item.value = optionValue;
    node.append(item);
  }
  node.value = value;
  return node;
}

export function button(text, type = "button", className) {
  const node = element("button", text, className);
  node.type = type;
  return node;
}

export function message(id) {
  const node = element("p", "", "note");
  node.id = id;
  node.setAttribute("role", "status");
  return node;
}

export function say(node, text, isError = false) {
  node.className = isError ? "error" : "note";
  node.textContent = text;
}

// Times as the API gives them (RFC 3339 UTC), shortened for reading; the full value stays in
// the title.
export function when(instant) {
  if (!instant) return "-";
  const node = element("time", instant.replace("T", " ").replace(/(\.\d+)?Z$/, " UTC"));
  node.dateTime = instant;
  return node;
}

export function kwh(wh) {
  return wh === null || wh === undefined ? "-" : `${(wh / 1000).toFixed(3)} kWh`;
}

// True while the operator types into a form of `view`: a refresh must not replace it.
export function typingIn(view) {
  const active = document.activeElement;
  return view.contains(active) && active.matches("input, textarea, select");
}
