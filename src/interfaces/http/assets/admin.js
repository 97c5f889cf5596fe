// The status page's script: keeps the key for this tab only (sessionStorage), fetches the
// server-rendered fragments with it in the x-api-key header, and refreshes while a job runs.
(() => {
  "use strict";
  const KEY = "monthly-rewards.key";
  const $ = (selector) => document.querySelector(selector);
  let focus = null; // {month, year} of the job shown, or null for the newest
  let timer = null;

  const key = () => sessionStorage.getItem(KEY);

  function showGate(message) {
    clearTimeout(timer);
    $("#app").hidden = true;
    $("#session").hidden = true;
    $("#overview").innerHTML = "";
    $("#lookup-result").innerHTML = "";
    $("#preview-result").innerHTML = "";
    $("#gate").hidden = false;
    const error = $("#gate-error");
    error.hidden = !message;
    error.textContent = message || "";
    $("#key").value = "";
    $("#key").focus();
  }

  function showApp() {
    $("#gate").hidden = true;
    $("#app").hidden = false;
    $("#session").hidden = false;
  }

  async function call(url, options = {}) {
    const headers = Object.assign({ "x-api-key": key() || "" }, options.headers || {});
    return fetch(url, Object.assign({}, options, { headers, cache: "no-store" }));
  }

  async function messageOf(response) {
    try {
      const body = await response.json();
      return body.message || response.statusText;
    } catch (_) {
      return response.statusText || String(response.status);
    }
  }

  function query(params) {
    const parts = Object.entries(params)
      .filter(([, value]) => value !== null && value !== undefined && value !== "")
      .map(([name, value]) => `${encodeURIComponent(name)}=${encodeURIComponent(value)}`);
    return parts.length ? `?${parts.join("&")}` : "";
  }

  function setLive(ok) {
    $("#live").classList.toggle("stale", !ok);
    $("#live").textContent = ok ? "live" : "offline";
  }

  async function refresh() {
    clearTimeout(timer);
    if (!key()) return showGate();
    let next = 15000;
    try {
      const response = await call(`/admin/fragments/overview${query(focus || {})}`);
      if (response.status === 401) {
        sessionStorage.removeItem(KEY);
        return showGate("That key was refused. Paste a scheduler or admin key.");
      }
      if (!response.ok) throw new Error(await messageOf(response));
      const html = await response.text();
      // Read the notice just before the swap: a retry's answer may have landed while waiting.
      const keepStatus = $("#retry-status");
      const kept = keepStatus && !keepStatus.hidden ? keepStatus.outerHTML : null;
      $("#overview").innerHTML = html;
      if (kept) $("#retry-status").outerHTML = kept;
      $("#app-error").hidden = true;
      showApp();
      setLive(true);
      const root = $("#overview [data-refresh]");
      next = root ? Number(root.dataset.refresh) : next;
    } catch (error) {
      $("#app-error").textContent = `Could not refresh: ${error.message}`;
      $("#app-error").hidden = false;
      setLive(false);
      next = 5000;
    }
    timer = setTimeout(refresh, next);
  }

  async function retry(button) {
    button.disabled = true;
    const month = Number(button.dataset.month);
    const year = Number(button.dataset.year);
    const response = await call("/api/ranking/monthly-rewards/retry", {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ month, year }),
    });
    const message = await messageOf(response);
    // Found after the answer: a refresh while it was awaited replaces the whole overview.
    const status = $("#retry-status");
    status.hidden = false;
    status.className = response.ok ? "notice done" : "notice refused";
    status.textContent = response.ok ? message : `Refused: ${message}`;
    button.disabled = false;
    if (response.ok) {
      focus = { month, year };
      setTimeout(refresh, 300);
    }
  }

  async function fragmentInto(target, url, options) {
    target.innerHTML = '<p class="muted small">Loading…</p>';
    const response = await call(url, options);
    if (response.ok) {
      target.innerHTML = await response.text();
    } else {
      const refused = response.status === 401 ? "Refused: " : "";
      target.innerHTML = "";
      const p = document.createElement("p");
      p.className = "notice error";
      p.textContent = refused + (await messageOf(response));
      target.appendChild(p);
    }
  }

  document.addEventListener("submit", (event) => {
    const form = event.target;
    event.preventDefault();
    if (form.id === "gate-form") {
      sessionStorage.setItem(KEY, $("#key").value.trim());
      refresh();
    } else if (form.id === "lookup-form") {
      const userId = $("#user-id").value.trim();
      fragmentInto($("#lookup-result"), `/admin/fragments/user${query({ userId })}`);
    } else if (form.id === "preview-form") {
      const params = { month: $("#preview-month").value, year: $("#preview-year").value };
      fragmentInto($("#preview-result"), `/admin/fragments/preview${query(params)}`, { method: "POST" });
    }
  });

  document.addEventListener("click", (event) => {
    const target = event.target.closest("button");
    if (!target) return;
    if (target.id === "forget") {
      sessionStorage.removeItem(KEY);
      showGate();
    } else if (target.dataset.action === "retry") {
      retry(target);
    } else if (target.dataset.action === "focus") {
      focus = { month: target.dataset.month, year: target.dataset.year };
      refresh();
    } else if (target.dataset.action === "focus-newest") {
      focus = null;
      refresh();
    }
  });

  document.addEventListener("DOMContentLoaded", () => (key() ? refresh() : showGate()));
})();
