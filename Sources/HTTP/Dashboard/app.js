// CloudTask dashboard. Plain JavaScript, no dependencies.
//
// Tokens live in this closure only: never in localStorage, a cookie or a URL, so a
// reload means logging in again. Live views read the server's event streams with
// fetch (EventSource cannot send the Authorization header) and reconnect on their own,
// refreshing the access token when it has expired.
"use strict";

(() => {
  const API = "/api/v1";
  const session = { access: null, refresh: null, user: null, refreshing: null };
  const $ = (id) => document.getElementById(id);
  const FINAL = new Set(["succeeded", "failed", "cancelled"]);

  // ---- HTTP --------------------------------------------------------------------

  class HTTPError extends Error {
    constructor(status, problem) {
      super(problem && (problem.detail || problem.title) || `HTTP ${status}`);
      this.status = status;
      this.problem = problem;
    }
  }

  async function refreshTokens() {
    if (!session.refresh) throw new HTTPError(401);
    // One refresh at a time: concurrent callers wait for the same one (a refresh token
    // is single-use; presenting it twice would revoke the session).
    if (!session.refreshing) {
      session.refreshing = (async () => {
        const response = await fetch(`${API}/auth/refresh`, {
          method: "POST", headers: { "Content-Type": "application/json" },
          body: JSON.stringify({ refresh_token: session.refresh }),
        });
        if (!response.ok) { throw new HTTPError(response.status); }
        accept(await response.json());
      })().finally(() => { session.refreshing = null; });
    }
    return session.refreshing;
  }

  async function authorized(path, options = {}, retried = false) {
    const headers = Object.assign({}, options.headers || {}, { Authorization: `Bearer ${session.access}` });
    const response = await fetch(API + path, Object.assign({}, options, { headers }));
    // Only a refused token is worth a refresh (a wrong password for an action is not).
    const tokenRefused = (response.headers.get("WWW-Authenticate") || "").includes("invalid_token");
    if (response.status === 401 && tokenRefused && !retried) {
      try { await refreshTokens(); } catch (e) { signedOut("Your session has ended. Please log in again."); throw new HTTPError(401); }
      return authorized(path, options, true);
    }
    return response;
  }

  async function api(path, options = {}) {
    const response = await authorized(path, options);
    const type = response.headers.get("Content-Type") || "";
    const body = response.status === 204 ? null : type.includes("json") ? await response.json() : await response.text();
    if (!response.ok) throw new HTTPError(response.status, body);
    return body;
  }

  function problemText(error) {
    const problem = error.problem;
    if (problem && Array.isArray(problem.errors) && problem.errors.length) {
      return problem.errors.map((e) => `${e.field}: ${e.message}`).join("; ");
    }
    return error.message || "Something went wrong.";
  }

  // ---- Event streams -------------------------------------------------------------

  // Reads a text/event-stream with fetch and calls onEvent({id, event, data}) for each
  // event. Reconnects (with Last-Event-ID when the stream has ids) until `done()` says
  // the stream is complete or `stop()` is called.
  function followStream(path, onEvent, { done = () => false, onState = () => {} } = {}) {
    let controller = null;
    let stopped = false;
    let lastEventID = null;

    async function connectOnce() {
      controller = new AbortController();
      const headers = { Accept: "text/event-stream" };
      if (lastEventID) headers["Last-Event-ID"] = lastEventID;
      const response = await authorized(path, { headers, signal: controller.signal });
      if (!response.ok) throw new HTTPError(response.status, await response.json().catch(() => null));
      onState(true);
      const reader = response.body.getReader();
      const decoder = new TextDecoder();
      let buffer = "";
      let event = { id: null, event: "message", data: [] };
      for (;;) {
        const { value, done: ended } = await reader.read();
        if (ended) break;
        buffer += decoder.decode(value, { stream: true });
        let newline;
        while ((newline = buffer.indexOf("\n")) >= 0) {
          const line = buffer.slice(0, newline).replace(/\r$/, "");
          buffer = buffer.slice(newline + 1);
          if (line === "") {
            if (event.data.length) {
              if (event.id !== null) lastEventID = event.id;
              onEvent({ id: event.id, event: event.event, data: event.data.join("\n") });
            }
            event = { id: null, event: "message", data: [] };
          } else if (!line.startsWith(":")) {
            const colon = line.indexOf(":");
            const field = colon < 0 ? line : line.slice(0, colon);
            const value = colon < 0 ? "" : line.slice(colon + 1).replace(/^ /, "");
            if (field === "data") event.data.push(value);
            else if (field === "event") event.event = value;
            else if (field === "id") event.id = value;
          }
        }
      }
    }

    (async () => {
      let delay = 500;
      while (!stopped) {
        try {
          await connectOnce();
          delay = 500;
        } catch (error) {
          if (stopped) break;
          if (error instanceof HTTPError && (error.status === 404 || error.status === 403 || error.status === 401)) {
            onState(false, error);
            break;
          }
        }
        onState(false);
        if (stopped || done()) break;
        await new Promise((resolve) => setTimeout(resolve, delay));
        delay = Math.min(delay * 2, 10000);
      }
    })();

    return { stop() { stopped = true; if (controller) controller.abort(); } };
  }

  // ---- Formatting ----------------------------------------------------------------

  const time = (text) => text ? new Date(text).toLocaleString() : "—";
  const shortID = (id) => id.slice(0, 8);
  function duration(job) {
    if (!job.started_at) return "—";
    const end = job.finished_at ? new Date(job.finished_at) : new Date();
    const seconds = (end - new Date(job.started_at)) / 1000;
    return seconds < 60 ? `${seconds.toFixed(1)} s` : `${Math.floor(seconds / 60)} min ${Math.round(seconds % 60)} s`;
  }
  function badge(status) {
    const span = document.createElement("span");
    span.className = `badge ${status}`;
    span.textContent = status;
    return span;
  }
  function cell(row, content, className) {
    const td = document.createElement("td");
    if (className) td.className = className;
    if (content instanceof Node) td.appendChild(content); else td.textContent = content;
    row.appendChild(td);
    return td;
  }

  // ---- Views ---------------------------------------------------------------------

  let leaveView = () => {};
  function show(name) {
    leaveView();
    leaveView = () => {};
    for (const view of document.querySelectorAll(".view")) view.hidden = view.id !== `view-${name}`;
    $("nav").hidden = name === "login" || !session.access;
  }

  function notice(text) { $("notice").textContent = text || ""; }

  // Login and registration.
  function accept(tokens) {
    session.access = tokens.access_token;
    session.refresh = tokens.refresh_token;
    if (tokens.user) session.user = tokens.user;
  }

  function signedOut(message) {
    session.access = session.refresh = session.user = null;
    $("mfa-form").hidden = true;
    $("login-form").hidden = false;
    show("login");
    $("login-error").textContent = message || "";
  }

  async function authenticate(path) {
    const email = $("login-email").value.trim();
    const password = $("login-password").value;
    $("login-error").textContent = "";
    if (!email || !password) { $("login-error").textContent = "Enter your email and password."; return; }
    try {
      const response = await fetch(`${API}/auth/${path}`, {
        method: "POST", headers: { "Content-Type": "application/json" }, body: JSON.stringify({ email, password }),
      });
      const body = await response.json().catch(() => null);
      if (response.status === 401 && body && body.mfa_token) { askForSecondFactor(body.mfa_token); return; }
      if (!response.ok) {
        $("login-error").textContent = response.status === 401 ? "Wrong email or password."
          : body && typeof body.type === "string" && body.type.endsWith("/email-unverified")
            ? "Confirm your address first: open the link in the welcome mail (or reset your password, which confirms it too)."
          : response.status === 429 ? "Too many attempts. Wait a while and try again."
          : problemText(new HTTPError(response.status, body));
        return;
      }
      accept(body);
      if (!session.user) session.user = await api("/users/me");
      $("login-password").value = "";
      signedIn();
    } catch (error) {
      $("login-error").textContent = "The server could not be reached.";
    }
  }

  // The second step of a login with two-factor login on.
  let pendingMFA = null;
  function askForSecondFactor(token) {
    pendingMFA = token;
    $("login-form").hidden = true;
    $("mfa-form").hidden = false;
    $("mfa-error").textContent = "";
    $("mfa-code").value = "";
    $("mfa-code").focus();
  }
  function backToPassword() {
    pendingMFA = null;
    $("mfa-form").hidden = true;
    $("login-form").hidden = false;
  }
  async function completeSecondFactor() {
    const value = $("mfa-code").value.trim();
    if (!value) { $("mfa-error").textContent = "Enter the code."; return; }
    const body = { mfa_token: pendingMFA };
    body[$("mfa-use-recovery").checked ? "recovery_code" : "code"] = value;
    try {
      const response = await fetch(`${API}/auth/mfa`, {
        method: "POST", headers: { "Content-Type": "application/json" }, body: JSON.stringify(body),
      });
      const answer = await response.json().catch(() => null);
      if (!response.ok) {
        $("mfa-error").textContent = response.status === 401 ? "Wrong or expired code (a code works once). Try the next one, or go back and log in again."
          : response.status === 429 ? "Too many attempts. Wait a while and try again."
          : problemText(new HTTPError(response.status, answer));
        return;
      }
      accept(answer);
      if (!session.user) session.user = await api("/users/me");
      $("login-password").value = "";
      backToPassword();
      signedIn();
    } catch (error) {
      $("mfa-error").textContent = "The server could not be reached.";
    }
  }

  function signedIn() {
    const admin = session.user.role === "admin";
    $("who").textContent = `${session.user.email} (${session.user.role}${session.user.email_verified === false ? ", address not confirmed" : ""})`;
    $("nav-overview").hidden = !admin;
    $("filter-all-label").hidden = !admin;
    if (!location.hash || location.hash === "#/login") location.hash = "#/jobs"; else route();
  }

  // The job list, live.
  const list = { jobs: new Map(), cursor: null };

  function renderRow(job) {
    const row = document.createElement("tr");
    row.id = `job-row-${job.id}`;
    row.dataset.status = job.status;
    const link = document.createElement("a");
    link.href = `#/jobs/${job.id}`;
    link.textContent = shortID(job.id);
    link.className = "mono";
    cell(row, link);
    cell(row, [job.command, ...job.args].join(" "), "mono command");
    cell(row, badge(job.status));
    cell(row, `${job.attempts}/${job.max_attempts}`);
    cell(row, time(job.created_at));
    cell(row, job.exit_code === null ? "—" : String(job.exit_code));
    return row;
  }

  function upsertRow(job, atTop) {
    const filter = $("filter-status").value;
    const existing = $(`job-row-${job.id}`);
    const known = list.jobs.get(job.id);
    if (known && known.updated_at > job.updated_at) return;  // an older state arrived late
    list.jobs.set(job.id, job);
    if (filter && job.status !== filter) { if (existing) existing.remove(); updateEmpty(); return; }
    const row = renderRow(job);
    if (existing) existing.replaceWith(row);
    else if (atTop) $("jobs-body").prepend(row);
    else $("jobs-body").appendChild(row);
    updateEmpty();
  }

  function updateEmpty() { $("jobs-empty").hidden = $("jobs-body").children.length > 0; }

  async function loadJobs(more) {
    const params = new URLSearchParams({ limit: "50" });
    if ($("filter-status").value) params.set("status", $("filter-status").value);
    if ($("filter-all").checked) params.set("owner", "all");
    if (more && list.cursor) params.set("cursor", list.cursor);
    if (!more) { $("jobs-body").textContent = ""; list.jobs.clear(); }
    const page = await api(`/jobs?${params}`);
    for (const job of page.jobs) upsertRow(job, false);
    list.cursor = page.next_cursor;
    $("jobs-more").hidden = !page.next_cursor;
    updateEmpty();
  }

  function showJobs() {
    show("jobs");
    let stream = null;
    const start = () => {
      if (stream) stream.stop();
      loadJobs(false).catch((error) => notice(problemText(error)));
      const all = $("filter-all").checked ? "?owner=all" : "";
      stream = followStream(`/events${all}`, (event) => {
        if (event.event === "status") upsertRow(JSON.parse(event.data), true);
      }, { onState: (on) => {
        $("live-jobs").classList.toggle("on", on);
        // After a reconnect, changes made meanwhile are read from the list.
        if (on && list.connectedBefore) loadJobs(false).catch(() => {});
        if (on) list.connectedBefore = true;
      } });
    };
    list.connectedBefore = false;
    start();
    $("filter-status").onchange = start;
    $("filter-all").onchange = start;
    $("jobs-more").onclick = () => loadJobs(true).catch((error) => notice(problemText(error)));
    leaveView = () => { if (stream) stream.stop(); $("live-jobs").classList.remove("on"); };
  }

  async function submitJob(event) {
    event.preventDefault();
    $("submit-error").textContent = "";
    const command = $("job-command").value.trim();
    if (!command) { $("submit-error").textContent = "Enter a program to run."; return; }
    const args = $("job-args").value.split("\n").map((a) => a.trim()).filter((a) => a.length > 0);
    const body = { command, args, timeout_seconds: Number($("job-timeout").value) || 300,
      max_attempts: Number($("job-attempts").value) || 1 };
    // Limits left empty take the deployment's defaults.
    const limits = {};
    if ($("job-memory").value) limits.memory_bytes = Math.round(Number($("job-memory").value) * 1048576);
    if ($("job-cpus").value) limits.cpu = Number($("job-cpus").value);
    if ($("job-tasks").value) limits.tasks = Number($("job-tasks").value);
    if (Object.keys(limits).length > 0) body.limits = limits;
    if ($("job-notify").checked) body.notify = true;
    const keep = $("job-artifacts").value.split("\n").map((a) => a.trim()).filter((a) => a.length > 0);
    if (keep.length > 0) body.artifacts = keep;
    $("job-submit").disabled = true;
    try {
      const job = await api("/jobs", { method: "POST", headers: { "Content-Type": "application/json" }, body: JSON.stringify(body) });
      upsertRow(job, true);
      notice(`Job ${shortID(job.id)} submitted.`);
    } catch (error) {
      $("submit-error").textContent = problemText(error);
    } finally {
      $("job-submit").disabled = false;
    }
  }

  // One job, live.
  function showJob(id) {
    show("job");
    let job = null;
    let ticker = null;
    $("job-title").textContent = `Job ${shortID(id)}`;
    $("job-stdout").textContent = "";
    $("job-stderr").textContent = "";
    $("job-error-banner").textContent = "";
    for (const field of ["job-status", "job-exit", "job-attempts-used", "job-created", "job-started", "job-finished", "job-duration", "job-error", "job-limits", "job-usage", "job-notify-fact", "job-inputs", "job-trace"]) {
      $(field).textContent = "";
    }
    delete $("job-trace").dataset.trace;
    $("job-artifacts-card").hidden = true;
    $("job-artifact-list").textContent = "";
    let artifactsShownFor = null;
    const render = () => {
      if (!job) return;
      // The list once a run has finished (and again after a later one).
      const finishedRun = `${job.attempts}/${job.status}`;
      if (job.artifacts.length > 0 && (FINAL.has(job.status) || job.status === "scheduled") && artifactsShownFor !== finishedRun) {
        artifactsShownFor = finishedRun;
        showArtifacts(job.id).catch((error) => { $("job-error-banner").textContent = problemText(error); });
      }
      $("job-title").textContent = `Job ${shortID(job.id)}: ${[job.command, ...job.args].join(" ")}`;
      $("job-status").className = `badge ${job.status}`;
      $("job-status").textContent = job.status;
      $("job-exit").textContent = job.exit_code === null ? "—" : String(job.exit_code);
      $("job-attempts-used").textContent = `${job.attempts} of ${job.max_attempts}`;
      $("job-created").textContent = time(job.created_at);
      $("job-started").textContent = time(job.started_at);
      $("job-finished").textContent = time(job.finished_at);
      $("job-duration").textContent = duration(job);
      $("job-error").textContent = job.error ? `${job.error.code}: ${job.error.message}` : "—";
      const mib = (bytes) => `${(bytes / 1048576).toFixed(1)} MiB`;
      $("job-limits").textContent = job.limits
        ? `${mib(job.limits.memory_bytes)}, ${job.limits.cpu} CPU, ${job.limits.tasks} tasks` : "—";
      $("job-notify-fact").textContent = job.notify ? "yes" : "no";
      // Where each uploaded file goes in the working directory (the id names the upload).
      const inputs = job.inputs || [];
      $("job-inputs").textContent = inputs.length === 0 ? "—"
        : inputs.map((input) => `${input.path} (file ${shortID(input.file)})`).join(", ");
      const used = job.usage;
      $("job-usage").textContent = used
        ? `${(used.cpu_user_seconds + used.cpu_system_seconds).toFixed(2)} s CPU, ${mib(used.memory_peak_bytes)} peak, `
          + `${used.tasks_peak} tasks peak, ${used.io_read_bytes} B read, ${used.io_write_bytes} B written` : "—";
      showTrace(job.trace_id);
      $("stop-button").disabled = FINAL.has(job.status) || (job.status === "running" && job.stop_requested_at !== null);
      $("stop-button").textContent = job.stop_requested_at && !FINAL.has(job.status) ? "Stopping…" : "Stop";
    };
    const append = (pre, text) => {
      const atBottom = pre.scrollTop + pre.clientHeight >= pre.scrollHeight - 4;
      pre.append(text);
      if (atBottom) pre.scrollTop = pre.scrollHeight;
    };
    const stream = followStream(`/jobs/${id}/events`, (event) => {
      const data = JSON.parse(event.data);
      if (event.event === "status") { job = data; render(); }
      else if (event.event === "output") append($(data.stream === "stderr" ? "job-stderr" : "job-stdout"), data.text);
      else if (event.event === "reset") { $("job-stdout").textContent = ""; $("job-stderr").textContent = ""; }
    }, {
      done: () => job !== null && FINAL.has(job.status),
      onState: (on, error) => {
        $("live-job").classList.toggle("on", on);
        if (error && error.status === 404) $("job-error-banner").textContent = "No such job (or not yours).";
      },
    });
    ticker = setInterval(() => { if (job && job.status === "running") $("job-duration").textContent = duration(job); }, 1000);
    $("stop-button").onclick = async () => {
      $("stop-button").disabled = true;
      try {
        const stopped = await api(`/jobs/${id}/stop`, { method: "POST" });
        if (!job || stopped.updated_at >= job.updated_at) { job = stopped; render(); }
      } catch (error) {
        $("job-error-banner").textContent = problemText(error);
        render();
      }
    };
    leaveView = () => { stream.stop(); clearInterval(ticker); $("live-job").classList.remove("on"); };
  }

  // The job's trace id, a link to the trace viewer when the deployment names one
  // (CLOUDTASK_TRACE_UI_URL, in the page's cloudtask-trace-url meta element).
  const TRACE_URL = document.querySelector('meta[name="cloudtask-trace-url"]')?.content || "";
  function showTrace(traceID) {
    const cell = $("job-trace");
    if (!traceID || !/^[0-9a-f]{32}$/.test(traceID)) { cell.textContent = "—"; return; }
    if (cell.dataset.trace === traceID) return;
    cell.dataset.trace = traceID;
    cell.textContent = "";
    if (!TRACE_URL) { cell.textContent = traceID; return; }
    const link = document.createElement("a");
    link.href = TRACE_URL.replaceAll("{trace_id}", traceID);
    link.textContent = traceID;
    link.target = "_blank";
    link.rel = "noopener noreferrer";
    cell.append(link);
  }

  // A job's artifacts: each kept one a button that downloads it (with the access token,
  // so not a plain link), each other one with why it was not kept.
  async function showArtifacts(id) {
    const { artifacts } = await api(`/jobs/${id}/artifacts`);
    const list = $("job-artifact-list");
    list.textContent = "";
    $("job-artifacts-card").hidden = artifacts.length === 0;
    for (const artifact of artifacts) {
      const item = document.createElement("li");
      if (artifact.kept) {
        const button = document.createElement("button");
        button.type = "button";
        button.className = "link";
        button.textContent = artifact.name;
        button.onclick = () => downloadArtifact(id, artifact.name).catch((error) => notice(problemText(error)));
        const facts = document.createElement("span");
        facts.className = "muted";
        facts.textContent = ` ${artifact.size} bytes, sha256 ${artifact.sha256.slice(0, 12)}…`;
        item.append(button, facts);
      } else {
        item.textContent = `${artifact.name}: not kept (${artifact.error})`;
        item.className = "muted";
      }
      list.appendChild(item);
    }
  }

  async function downloadArtifact(id, name) {
    const path = name.split("/").map(encodeURIComponent).join("/");
    const response = await authorized(`/jobs/${id}/artifacts/${path}`, {});
    if (!response.ok) {
      const type = response.headers.get("Content-Type") || "";
      throw new HTTPError(response.status, type.includes("json") ? await response.json() : await response.text());
    }
    const url = URL.createObjectURL(await response.blob());
    const link = document.createElement("a");
    link.href = url;
    link.download = name.split("/").pop();
    document.body.appendChild(link);
    link.click();
    link.remove();
    setTimeout(() => URL.revokeObjectURL(url), 10000);
  }

  // The admin overview, refreshed every few seconds.
  function showOverview() {
    show("overview");
    const load = async () => {
      try {
        renderOverview(await api("/admin/overview"));
      } catch (error) {
        notice(problemText(error));
      }
    };
    load();
    const timer = setInterval(load, 5000);
    leaveView = () => clearInterval(timer);
  }

  function renderOverview(overview) {
    $("overview-updated").textContent = `updated ${new Date(overview.generated_at).toLocaleTimeString()}`;
    const tiles = $("status-counts");
    tiles.textContent = "";
    for (const status of ["scheduled", "queued", "running", "succeeded", "failed", "cancelled"]) {
      const li = document.createElement("li");
      const count = document.createElement("span");
      count.className = "count";
      count.textContent = overview.jobs_by_status[status] || 0;
      li.append(count, badge(status));
      tiles.appendChild(li);
    }
    drawChart($("overview-chart"), overview.finished_per_minute);
    const outbox = overview.outbox;
    $("outbox-lag").textContent = outbox.backlog === 0 ? "Empty: every accepted job has been handed to the broker."
      : `${outbox.backlog} message(s) waiting; the oldest for ${outbox.oldest_age_seconds.toFixed(1)} s.`;
    const body = $("workers-body");
    body.textContent = "";
    if (overview.workers === null) {
      const row = document.createElement("tr");
      cell(row, "unknown: the worker registry (Redis) is unavailable").colSpan = 5;
      body.appendChild(row);
    } else if (overview.workers.length === 0) {
      const row = document.createElement("tr");
      cell(row, "none").colSpan = 5;
      body.appendChild(row);
    }
    for (const worker of overview.workers || []) {
      const row = document.createElement("tr");
      cell(row, worker.id, "mono");
      cell(row, worker.host);
      cell(row, worker.roles.join(", "));
      cell(row, `${worker.running} of ${worker.concurrency}`);
      cell(row, new Date(worker.seen_at).toLocaleTimeString());
      body.appendChild(row);
    }
  }

  // Stacked bars, one per minute, drawn as SVG.
  function drawChart(container, minutes) {
    const NS = "http://www.w3.org/2000/svg";
    // The drawing's units are the container's pixels, so text keeps its size.
    const width = Math.max(280, Math.round(container.clientWidth || 600)), height = 200, left = 30, bottom = 20, top = 8;
    const totals = minutes.map((m) => m.succeeded + m.failed + m.cancelled);
    const max = Math.max(1, ...totals);
    const svg = document.createElementNS(NS, "svg");
    svg.setAttribute("viewBox", `0 0 ${width} ${height}`);
    svg.setAttribute("role", "img");
    const total = totals.reduce((a, b) => a + b, 0);
    svg.setAttribute("aria-label", `${total} jobs finished in the last ${minutes.length} minutes; at most ${max} in one minute`);
    const add = (name, attributes, text) => {
      const element = document.createElementNS(NS, name);
      for (const [key, value] of Object.entries(attributes)) element.setAttribute(key, value);
      if (text !== undefined) element.textContent = text;
      svg.appendChild(element);
      return element;
    };
    const plotHeight = height - bottom - top;
    const slot = (width - left) / Math.max(1, minutes.length);
    const labelEvery = slot * 5 >= 60 ? 5 : 10;  // room for "12:34 PM" between labels
    add("line", { x1: left, y1: height - bottom, x2: width, y2: height - bottom, class: "axis" });
    add("text", { x: 2, y: top + 8 }, String(max));
    add("text", { x: 2, y: height - bottom }, "0");
    minutes.forEach((minute, index) => {
      let y = height - bottom;
      for (const status of ["succeeded", "failed", "cancelled"]) {
        const value = minute[status];
        if (!value) continue;
        const h = (value / max) * plotHeight;
        y -= h;
        const rect = add("rect", { x: left + index * slot + 1, y, width: Math.max(1, slot - 2), height: h, class: status });
        const title = document.createElementNS(NS, "title");
        title.textContent = `${new Date(minute.minute).toLocaleTimeString()}: ${value} ${status}`;
        rect.appendChild(title);
      }
      if (index % labelEvery === 0) {
        add("text", { x: left + index * slot, y: height - 5 },
          new Date(minute.minute).toLocaleTimeString([], { hour: "2-digit", minute: "2-digit" }));
      }
    });
    container.textContent = "";
    container.appendChild(svg);
  }

  // What account.js uses: requests go through `api` (which holds the tokens); the
  // tokens themselves are not handed out.
  const shared = {
    api, show, notice, problemText, time, cell, shortID,
    get role() { return session.user && session.user.role; },
  };

  // ---- Routing -------------------------------------------------------------------

  function route() {
    // The pages the links in mail open need no session.
    const hash = location.hash || "#/jobs";
    if (window.CloudTaskAccount && window.CloudTaskAccount.showLinkPage(hash, shared)) return;
    if (!session.access) { signedOut(); return; }
    notice("");
    const job = hash.match(/^#\/jobs\/([0-9a-fA-F-]{36})$/);
    if (job) showJob(job[1]);
    else if (hash === "#/overview" && session.user.role === "admin") showOverview();
    else if (hash === "#/security" && window.CloudTaskAccount) window.CloudTaskAccount.showSecurity(shared);
    else showJobs();
    $("main").focus({ preventScroll: true });
  }

  document.addEventListener("DOMContentLoaded", () => {
    $("login-form").addEventListener("submit", (event) => { event.preventDefault(); authenticate("login"); });
    $("register-submit").addEventListener("click", () => authenticate("register"));
    $("mfa-form").addEventListener("submit", (event) => { event.preventDefault(); completeSecondFactor(); });
    $("mfa-cancel").addEventListener("click", backToPassword);
    $("mfa-use-recovery").addEventListener("change", () => {
      $("mfa-code-label").textContent = $("mfa-use-recovery").checked ? "Recovery code" : "Authentication code (from your app)";
      $("mfa-code").setAttribute("inputmode", $("mfa-use-recovery").checked ? "text" : "numeric");
    });
    $("submit-form").addEventListener("submit", submitJob);
    $("job-args").addEventListener("keydown", (event) => {
      // Ctrl/Cmd+Enter submits from the arguments box; Enter adds a line.
      if (event.key === "Enter" && (event.ctrlKey || event.metaKey)) { event.preventDefault(); $("job-submit").click(); }
    });
    $("logout").addEventListener("click", async () => {
      try { await api("/auth/logout", { method: "POST", headers: { "Content-Type": "application/json" }, body: JSON.stringify({ refresh_token: session.refresh }) }); } catch (e) { /* signed out either way */ }
      leaveView();
      signedOut("You are logged out.");
    });
    window.addEventListener("hashchange", route);
    signedOut();
    route();
  });
})();
