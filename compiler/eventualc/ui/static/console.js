// The eventual console's only script: live updates by short polling, "select all".
// It builds no HTML itself: it swaps in fragments the server rendered (and escaped).
"use strict";

const POLL_MS = 1000;

async function fetchText(url) {
  const response = await fetch(url, { headers: { Accept: "text/html" }, cache: "no-store" });
  if (!response.ok) throw new Error(`${response.status} ${url}`);
  return response.text();
}

function withFragment(url) {
  return url + (url.includes("?") ? "&" : "?") + "fragment=1";
}

function hideEndedActions() {
  const status = document.getElementById("status");
  const actions = document.getElementById("actions");
  if (status && actions && status.textContent.trim() !== "IN_PROGRESS") actions.remove();
}

// A list page refreshes its table while it shows the newest page.
function pollList(live) {
  const url = withFragment(live.dataset.refresh);
  setInterval(async () => {
    try {
      const html = await fetchText(url);
      if (html !== live.innerHTML) live.innerHTML = html;
    } catch (error) { /* the server is gone or busy: try again at the next tick */ }
  }, POLL_MS * 2);
}

// An execution page asks for its version (status and history length) and swaps in
// the new fragment only when it changed.
function pollExecution(live) {
  setInterval(async () => {
    try {
      const response = await fetch(live.dataset.versionUrl, { cache: "no-store" });
      if (!response.ok) return;
      const data = await response.json();
      const version = `${data.status}:${data.history}`;
      if (version === live.dataset.version) return;
      live.innerHTML = await fetchText(withFragment(window.location.pathname));
      live.dataset.version = version;
      hideEndedActions();
    } catch (error) { /* try again at the next tick */ }
  }, POLL_MS);
}

function selectAll() {
  document.addEventListener("change", (event) => {
    if (event.target.id !== "select-all") return;
    for (const box of document.querySelectorAll("input[name=id]")) box.checked = event.target.checked;
  });
}

document.addEventListener("DOMContentLoaded", () => {
  const live = document.getElementById("live");
  if (live && live.dataset.refresh) pollList(live);
  if (live && live.dataset.versionUrl) pollExecution(live);
  hideEndedActions();
  selectAll();
});
