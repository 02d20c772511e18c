// sitewatch workbench: a hash-routed single page over the JSON API.
import "leaflet/dist/leaflet.css";
import "./styles.css";
import { captureToken } from "./api.js";
import { el, clear, status } from "./dom.js";
import { sitesPage } from "./pages/sites.js";
import { sitePage } from "./pages/site.js";
import { swipePage } from "./pages/swipe.js";
import { evidencePage } from "./pages/evidence.js";
import { achPage } from "./pages/ach.js";

captureToken();
const root = document.getElementById("app");
let teardown = () => {};
let generation = 0;

function parse() {
  const raw = location.hash.replace(/^#/, "") || "/";
  const [path, qs] = raw.split("?");
  return { parts: path.split("/").filter(Boolean).map(decodeURIComponent), query: new URLSearchParams(qs || "") };
}

async function route() {
  const mine = ++generation;
  delete document.body.dataset.ready;
  try { teardown(); } catch (_) { /* page already gone */ }
  teardown = () => {};
  status("");
  const { parts, query } = parse();
  let nav = "map";
  let page;
  if (parts[0] === "site" && parts[1] && parts[2] === "swipe") page = () => swipePage(root, parts[1], query);
  else if (parts[0] === "site" && parts[1]) page = () => sitePage(root, parts[1], query);
  else if (parts[0] === "evidence") { nav = "evidence"; page = () => evidencePage(root, query); }
  else if (parts[0] === "ach") { nav = "ach"; page = () => achPage(root, query); }
  else page = () => sitesPage(root);
  for (const a of document.querySelectorAll("[data-nav]")) a.classList.toggle("active", a.dataset.nav === nav);
  clear(root).append(el("p", { class: "muted" }, "Loading…"));
  try {
    const done = await page();
    if (mine === generation) teardown = done || (() => {});
    else if (done) done();
    document.body.dataset.page = nav;
    document.body.dataset.ready = String(mine);
  } catch (e) {
    clear(root).append(el("h1", {}, "Something went wrong"), el("p", { class: "error", id: "page-error" }, e.message), el("p", {}, el("a", { href: "#/" }, "back to the sites")));
    document.body.dataset.ready = String(mine);
  }
}

window.addEventListener("hashchange", route);
route();
