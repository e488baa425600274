// CloudTask dashboard: the account's pages. Loaded after app.js, which calls in here
// with what the pages need (`shared`: requests, views, formatting); the tokens stay in
// app.js's closure.
"use strict";

window.CloudTaskAccount = (() => {
  const $ = (id) => document.getElementById(id);
  const ACTIONS = [
    "account.registered", "account.password_changed", "account.role_changed", "login.succeeded", "login.failed",
    "session.logout", "session.logout_all", "session.refresh_token_reused", "job.stopped_by_admin", "mfa.enabled",
    "mfa.disabled", "mfa.failed", "mfa.recovery_code_used", "account.password_reset_requested",
    "account.password_reset", "account.email_verified",
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

  // ---- Two-factor login: status, enrolment (QR code, first code, recovery codes), off.

  async function loadMFA(shared) {
    $("mfa-error-page").textContent = "";
    try {
      const status = await shared.api("/users/me/mfa");
      const on = status.totp.enabled;
      $("mfa-status").textContent = !status.available ? "Not available on this server."
        : on ? `On. ${status.recovery_codes_left} recovery codes left.` : "Off: a password alone logs in to this account.";
      $("mfa-enable").hidden = on || !status.available;
      $("mfa-disable-form").hidden = !on;
      $("mfa-card").dataset.state = on ? "on" : "off";
    } catch (error) {
      $("mfa-error-page").textContent = shared.problemText(error);
    }
  }

  function showQR(svgText) {
    // The server's SVG (squares only, no script) parsed as SVG and adopted: no innerHTML,
    // and nothing the Content-Security-Policy has to allow.
    const parsed = new DOMParser().parseFromString(svgText, "image/svg+xml").documentElement;
    const svg = document.importNode(parsed, true);
    svg.setAttribute("role", "img");
    svg.setAttribute("aria-label", "QR code of the authenticator secret");
    $("mfa-qr").replaceChildren(svg);
  }

  async function enable(shared) {
    $("mfa-error-page").textContent = "";
    $("mfa-recovery").hidden = true;
    try {
      const enrolment = await shared.api("/users/me/mfa/totp", { method: "POST" });
      showQR(enrolment.qr_svg);
      $("mfa-secret").textContent = enrolment.secret;
      $("mfa-enrol").hidden = false;
      $("mfa-enable").hidden = true;
      $("mfa-confirm-code").value = "";
      $("mfa-confirm-code").focus();
    } catch (error) {
      $("mfa-error-page").textContent = shared.problemText(error);
    }
  }

  async function confirm(shared) {
    $("mfa-error-page").textContent = "";
    try {
      const answer = await shared.api("/users/me/mfa/totp/confirm", {
        method: "POST", headers: { "Content-Type": "application/json" },
        body: JSON.stringify({ code: $("mfa-confirm-code").value.trim() }),
      });
      $("mfa-enrol").hidden = true;
      $("mfa-qr").replaceChildren();
      $("mfa-secret").textContent = "";
      const list = $("mfa-recovery-codes");
      list.replaceChildren(...answer.recovery_codes.map((code) => {
        const item = document.createElement("li");
        item.textContent = code;
        return item;
      }));
      $("mfa-recovery").hidden = false;
      await loadMFA(shared);
      await load(shared, false);
    } catch (error) {
      $("mfa-error-page").textContent = shared.problemText(error);
    }
  }

  async function disable(shared) {
    $("mfa-error-page").textContent = "";
    try {
      await shared.api("/users/me/mfa/totp", {
        method: "DELETE", headers: { "Content-Type": "application/json" },
        body: JSON.stringify({ password: $("mfa-disable-password").value, code: $("mfa-disable-code").value.trim() }),
      });
      $("mfa-disable-password").value = "";
      $("mfa-disable-code").value = "";
      $("mfa-recovery").hidden = true;
      await loadMFA(shared);
      await load(shared, false);
    } catch (error) {
      $("mfa-error-page").textContent = error.status === 401 ? "Wrong password or code." : shared.problemText(error);
    }
  }

  // `#/security`: two-factor login, and the caller's own security events; an admin may
  // switch to everyone's.
  function showSecurity(shared) {
    shared.show("security");
    $("mfa-enrol").hidden = true;
    $("mfa-recovery").hidden = true;
    $("mfa-enable").onclick = () => enable(shared);
    $("mfa-confirm-form").onsubmit = (event) => { event.preventDefault(); confirm(shared); };
    $("mfa-disable-form").onsubmit = (event) => { event.preventDefault(); disable(shared); };
    loadMFA(shared);
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

  // ---- The pages the links in mail open (no session needed) ---------------------

  async function post(path, body) {
    const response = await fetch(`/api/v1${path}`, {
      method: "POST", headers: { "Content-Type": "application/json" }, body: JSON.stringify(body),
    });
    const answer = response.status === 204 || response.status === 202 ? null : await response.json().catch(() => null);
    return { response, answer };
  }

  function tokenIn(hash) {
    const query = hash.indexOf("?");
    return query < 0 ? "" : new URLSearchParams(hash.slice(query + 1)).get("token") || "";
  }

  function forgotPage(shared) {
    shared.show("forgot");
    $("forgot-form").hidden = false;
    $("forgot-sent").hidden = true;
    $("forgot-error").textContent = "";
    $("forgot-form").onsubmit = async (event) => {
      event.preventDefault();
      const email = $("forgot-email").value.trim();
      if (!email) { $("forgot-error").textContent = "Enter your email."; return; }
      try {
        const { response } = await post("/auth/password-reset", { email });
        if (response.status === 429) { $("forgot-error").textContent = "Too many attempts. Wait a while and try again."; return; }
        // The same answer whether or not the address has an account.
        $("forgot-form").hidden = true;
        $("forgot-sent").textContent = `If ${email} has an account, a link is on its way. It works once, for 30 minutes.`;
        $("forgot-sent").hidden = false;
      } catch (error) {
        $("forgot-error").textContent = "The server could not be reached.";
      }
    };
  }

  function resetPage(shared, token) {
    shared.show("reset");
    $("reset-form").hidden = false;
    $("reset-done").hidden = true;
    $("reset-error").textContent = token ? "" : "This link has no token: open the whole link from the mail.";
    $("reset-form").onsubmit = async (event) => {
      event.preventDefault();
      const password = $("reset-password").value;
      if (password !== $("reset-password-again").value) { $("reset-error").textContent = "The two passwords differ."; return; }
      try {
        const { response, answer } = await post("/auth/password-reset/confirm", { token, new_password: password });
        if (response.status === 204) {
          $("reset-password").value = $("reset-password-again").value = "";
          $("reset-form").hidden = true;
          $("reset-done").hidden = false;
          return;
        }
        const fields = answer && Array.isArray(answer.errors) ? answer.errors.map((e) => e.field) : [];
        $("reset-error").textContent = fields.includes("token")
          ? "This link is invalid, has expired or was already used. Ask for a new one."
          : answer && answer.errors ? answer.errors.map((e) => `${e.field}: ${e.message}`).join("; ")
          : response.status === 429 ? "Too many attempts. Wait a while and try again." : "Something went wrong.";
      } catch (error) {
        $("reset-error").textContent = "The server could not be reached.";
      }
    };
  }

  async function verifyPage(shared, token) {
    shared.show("verify");
    $("verify-result").textContent = "Confirming…";
    try {
      const { response } = await post("/auth/verify-email", { token });
      $("verify-result").textContent = response.status === 204 ? "Your address is confirmed. Thank you."
        : response.status === 400 ? "This link is invalid, has expired or was already used."
        : "Something went wrong; try again later.";
    } catch (error) {
      $("verify-result").textContent = "The server could not be reached.";
    }
  }

  // Shows the page a mailed link opens, if `hash` is one; says whether it was.
  function showLinkPage(hash, shared) {
    if (hash === "#/forgot-password") { forgotPage(shared); return true; }
    if (hash.startsWith("#/reset-password")) { resetPage(shared, tokenIn(hash)); return true; }
    if (hash.startsWith("#/verify-email")) { verifyPage(shared, tokenIn(hash)); return true; }
    return false;
  }

  return { showSecurity, showLinkPage };
})();
