// CloudTask dashboard: the account's pages. Loaded after app.js, which calls in here
// with what the pages need (`shared`: requests, views, formatting); the tokens stay in
// app.js's closure.
"use strict";

window.CloudTaskAccount = (() => {
  const $ = (id) => document.getElementById(id);
  const ACTIONS = [
    "account.registered", "account.password_changed", "account.role_changed", "login.succeeded", "login.failed",
    "session.logout", "session.logout_all", "session.refresh_token_reused", "job.stopped_by_admin",
  ];
  const audit = { cursor: null };

  function details(entry) {
    const parts = Object.keys(entry.details).sort().map((key) => `${key}=${entry.details[key]}`);
    if (entry.subject) parts.unshift(entry.subject);
    return parts.join(", ");
  }

  function renderEntry(shared, entry) {
    const row = document.createElement("tr");
    row.dataset.action = entry.action;
    shared.cell(row, shared.time(entry.at));
    shared.cell(row, entry.action, "mono");
    const outcome = document.createElement("span");
    outcome.className = `badge ${entry.outcome === "success" ? "succeeded" : "failed"}`;
    outcome.textContent = entry.outcome;
    shared.cell(row, outcome);
    shared.cell(row, entry.actor_id ? shared.shortID(entry.actor_id) : "—", "mono");
    shared.cell(row, entry.account_id ? shared.shortID(entry.account_id) : "—", "mono");
    shared.cell(row, entry.client_address || "—", "mono");
    shared.cell(row, details(entry), "mono");
    return row;
  }

  async function load(shared, more) {
    $("audit-error").textContent = "";
    const everyone = $("audit-everyone").checked;
    const params = new URLSearchParams({ limit: "50" });
    const action = $("audit-action").value.trim();
    if (action) params.set("action", action);
    const actor = $("audit-actor").value.trim();
    if (everyone && actor) params.set("actor", actor);
    if (more && audit.cursor) params.set("cursor", audit.cursor);
    if (!more) $("audit-body").textContent = "";
    try {
      const page = await shared.api(`${everyone ? "/admin/audit" : "/users/me/audit"}?${params}`);
      for (const entry of page.entries) $("audit-body").appendChild(renderEntry(shared, entry));
      audit.cursor = page.next_cursor;
      $("audit-more").hidden = !page.next_cursor;
    } catch (error) {
      $("audit-error").textContent = shared.problemText(error);
      $("audit-more").hidden = true;
    }
    $("audit-empty").hidden = $("audit-body").children.length > 0;
  }

  // `#/security`: the caller's own security events; an admin may switch to everyone's.
  function showSecurity(shared) {
    shared.show("security");
    const admin = shared.role === "admin";
    $("audit-everyone-label").hidden = !admin;
    if (!admin) $("audit-everyone").checked = false;
    const everyoneChanged = () => {
      const everyone = $("audit-everyone").checked;
      $("audit-actor-label").hidden = !everyone;
      $("security-title").textContent = everyone ? "Audit trail (everyone)" : "Security events";
      load(shared, false);
    };
    if (!$("audit-actions").children.length) {
      for (const name of ACTIONS) {
        const option = document.createElement("option");
        option.value = name;
        $("audit-actions").appendChild(option);
      }
    }
    $("audit-everyone").onchange = everyoneChanged;
    $("audit-filters").onsubmit = (event) => { event.preventDefault(); load(shared, false); };
    $("audit-more").onclick = () => load(shared, true);
    everyoneChanged();
  }

  return { showSecurity };
})();
