// The dashboard's entry: sign-in with an API token (kept in sessionStorage only), the routing
// table of views by path, and the refresh that keeps a live view current without a reload.

import { ApiError, TOKEN_KEY, api, stats } from "./api.js";
import { $, element, empty } from "./dom.js";
import { cdrExport } from "./views/cdr-export.js";
import { chargePoint } from "./views/charge-point.js";
import { chargePoints } from "./views/charge-points.js";
import { idTags } from "./views/id-tags.js";
import { overview } from "./views/overview.js";
import { session } from "./views/session.js";
import { sessions } from "./views/sessions.js";
import { tariff, tariffs } from "./views/tariffs.js";

// A live view re-reads what it shows this often, so station changes appear within 5 s.
const REFRESH_MS = 4000;

const VIEWS = [
  [/^\/$/, overview, "Overview"],
  [/^\/charge-points\/?$/, chargePoints, "Charge points"],
  [/^\/charge-points\/([^/]+)$/, chargePoint, "Charge point"],
  [/^\/sessions\/?$/, sessions, "Sessions"],
  [/^\/sessions\/(\d+)$/, session, "Session"],
  [/^\/tariffs\/?$/, tariffs, "Tariffs"],
  [/^\/tariffs\/([^/]+)$/, tariff, "Tariff"],
  [/^\/id-tags\/?$/, idTags, "Id tags"],
  [/^\/cdr-export\/?$/, cdrExport, "CDR export"],
];

// The view on screen; "still" once it said it has nothing more to show (an edit form, an
// ended session), so the refresh leaves it alone until the operator navigates.
let shown = { location: null, state: "live" };
let refresh = null;
window.csmsDashboard = stats;

function showSignIn(text) {
  clearInterval(refresh);
  sessionStorage.removeItem(TOKEN_KEY);
  $("nav").hidden = true;
  $("sign-out").hidden = true;
  $("view").replaceChildren();
  $("sign-in").hidden = false;
  $("sign-in-error").textContent = text || "";
  document.title = "Sign in · CSMS";
  $("token").focus();
}

async function render() {
  const path = location.pathname;
  const here = path + location.search;
  const section = `/${path.split("/")[1]}`;
  for (const link of document.querySelectorAll("#nav a")) {
    if (link.getAttribute("href") === section) link.setAttribute("aria-current", "page");
    else link.removeAttribute("aria-current");
  }
  const view = $("view");
  const found = VIEWS.find(([pattern]) => pattern.test(path));
  if (!found) {
    view.replaceChildren(element("h1", "Not found"), empty(`Nothing is at ${path}.`));
    return;
  }
  const [pattern, show, title] = found;
  const params = pattern.exec(path).slice(1).map(decodeURIComponent);
  document.title = `${params[0] ? `${title} ${params[0]}` : title} · CSMS`;
  try {
    const state = await show(view, params, render);
    shown = { location: here, state: state || "live" };
  } catch (error) {
    if (error instanceof ApiError && error.status === 401) {
      showSignIn("This token was refused: it is wrong or has been revoked.");
    } else if (error instanceof ApiError && error.status === 404) {
      view.replaceChildren(element("h1", "Not found"), empty(error.message));
      shown = { location: here, state: "still" };
    } else {
      view.replaceChildren(element("h1", title), element("p", `Could not load this view: ${error.message}`, "error"));
    }
  }
}

function tick() {
  if (!sessionStorage.getItem(TOKEN_KEY) || document.hidden) return;
  const here = location.pathname + location.search;
  if (shown.location === here && shown.state === "still") return;
  render();
}

function signedIn() {
  $("sign-in").hidden = true;
  $("nav").hidden = false;
  $("sign-out").hidden = false;
  render();
  clearInterval(refresh);
  refresh = setInterval(tick, REFRESH_MS);
}

async function signIn(event) {
  event.preventDefault();
  sessionStorage.setItem(TOKEN_KEY, $("token").value.trim());
  $("token").value = "";
  try {
    await api("/api/v1/charge-points?limit=1");
    signedIn();
  } catch (error) {
    showSignIn(error instanceof ApiError && error.status === 401
      ? "This token was refused: it is wrong or has been revoked."
      : `Could not reach the API: ${error.message}`);
  }
}

function navigate(event) {
  const link = event.target.closest("a");
  if (!link || link.origin !== location.origin || link.hasAttribute("download")) return;
  event.preventDefault();
  history.pushState(null, "", link.pathname + link.search);
  render();
}

$("sign-in").addEventListener("submit", signIn);
$("sign-out").addEventListener("click", () => showSignIn("Signed out."));
document.addEventListener("click", navigate);
window.addEventListener("popstate", render);
document.addEventListener("visibilitychange", tick);

if (sessionStorage.getItem(TOKEN_KEY)) signedIn();
else showSignIn();
