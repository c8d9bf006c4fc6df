// The integration page's script (served from this origin; the CSP allows no inline script).
// Shows every <time> in the viewer's local time, and drives the editor's settings form: it sends
// the API's own JSON bodies through the page actions (page_api.py), so the validation and the
// error texts are the API's, shown as they come.
"use strict";

function localTimes() {
  for (const t of document.querySelectorAll("time[datetime]")) {
    const d = new Date(t.getAttribute("datetime"));
    if (!isNaN(d)) { t.title = t.textContent; t.textContent = d.toLocaleString(); }
  }
}

const $ = (id) => document.getElementById(id);

function say(id, text, ok) {
  const el = $(id);
  el.textContent = text;
  el.className = "result " + (ok ? "ok" : "bad");
}

// The API's error body in words: field errors, or message and how to fix.
function problem(status, body) {
  if (!body) return `Refused (HTTP ${status}): reload the page, or ask for a new edit link.`;
  if (Array.isArray(body.fields)) {
    return body.fields.map((f) => `${f.field}: ${f.message}`).join("; ");
  }
  let text = body.message || body.error || `HTTP ${status}`;
  if (body.error && body.message) text = `${body.error}: ${body.message}`;
  if (body.action) text += ` How to fix: ${body.action}`;
  return text;
}

// After a save the page is loaded again (state, saved configuration and activity change), and the
// result is said again there.
function reloadSaying(id, text) {
  sessionStorage.setItem("page-notice", JSON.stringify([id, text]));
  location.reload();
}

function sayRestored() {
  const saved = sessionStorage.getItem("page-notice");
  if (!saved) return;
  sessionStorage.removeItem("page-notice");
  const [id, text] = JSON.parse(saved);
  if ($(id)) say(id, text, true);
}

async function act(action, body) {
  const box = $("settings");
  const url = box.dataset.api.replace("ACTION", action);
  const init = {
    method: "POST",
    headers: { "Content-Type": "application/json", "X-Form-Token": box.dataset.token },
    credentials: "same-origin",
  };
  if (body !== undefined) init.body = JSON.stringify(body);
  const res = await fetch(url, init);
  let data = null;
  if ((res.headers.get("Content-Type") || "").includes("json")) data = await res.json();
  return { status: res.status, ok: res.ok, body: data };
}

// A number field as a number, blank as null, anything else as typed (the API says what is wrong).
function num(name) {
  const v = $("f-" + name).value.trim();
  if (v === "") return null;
  return /^\d+$/.test(v) ? Number(v) : v;
}

function settingsBody() {
  const body = {};
  for (const n of ["base_url", "client_id", "serial_field_name", "mode", "close_policy"]) {
    body[n] = $("f-" + n).value.trim();
  }
  body.tenant = $("f-tenant").value.trim() || null;
  const secret = $("f-client_secret").value;
  if (secret) body.client_secret = secret; // empty: keep the stored secret
  for (const n of ["default_tickettype_id", "default_priority_id", "default_client_id",
    "default_site_id", "close_status_id", "reopen_window_seconds", "hold_down_seconds",
    "repeat_note_interval_seconds"]) {
    const v = num(n);
    if (v !== null) body[n] = v;
  }
  body.enabled = $("f-enabled").checked;
  body.use_reference_email = $("f-use_reference_email").checked;
  const ids = $("f-no_reopen_status_ids").value.split(/[\s,]+/).filter(Boolean);
  body.no_reopen_status_ids = ids.map((x) => (/^\d+$/.test(x) ? Number(x) : x));
  body.priority_matrix = rowsOf("matrix").map((row) => row.read());
  return body;
}

// Fill a pick-list with Halo's names; the chosen id stays chosen even when this list lacks it
// (a client beyond the first page, a search's matches), unless `drop` (a site of another client).
function fill(selectId, items, label, drop) {
  const sel = $(selectId);
  const keep = sel.value;
  const kept = sel.selectedOptions[0];
  sel.replaceChildren(new Option("— none —", ""));
  for (const it of items) sel.add(new Option(label(it), String(it.id)));
  if (keep && !drop && ![...sel.options].some((o) => o.value === keep)) {
    sel.add(new Option(kept.text, keep));
  }
  if ([...sel.options].some((o) => o.value === keep)) sel.value = keep;
}

// Halo's name for an id: the last Test's lists in this tab, else what the server kept from the
// latest credential test (status.halo_names); null when nobody named it.
function nameOf(kind, id) {
  if (id === null || id === undefined) return null;
  const o = JSON.parse(sessionStorage.getItem("halo-options") || "{}");
  const hit = (o[kind] || []).find((x) => x.id === id);
  if (hit) return hit.name;
  const kept = JSON.parse(($("settings") && $("settings").dataset.names) || "{}");
  return (kept[kind] || {})[String(id)] || null;
}

const named = (kind, id) => (id === null || id === undefined ? "-"
  : nameOf(kind, id) ? `${nameOf(kind, id)} (${id})` : String(id));

async function test() {
  say("test-result", "Testing…", true);
  say("save-result", "", true);
  let body;
  try { body = settingsBody(); } catch (err) { return say("test-result", err.message, false); }
  const search = $("client-search").value.trim();
  if (search) body.client_search = search;
  const r = await act("test", body);
  markRows("matrix", "priority_matrix", r.ok ? null : r.body);
  if (!r.ok) return say("test-result", problem(r.status, r.body), false);
  const o = r.body.options;
  sessionStorage.setItem("halo-options", JSON.stringify(o));
  showOptions(o);
  say("test-result", `Connected: ${o.ticket_types.length} ticket types,`
    + ` ${o.priorities.length} priorities, ${o.clients_total ?? 0} clients.`
    + " Choose them below, then Save.", true);
}

// Halo's names in the pick-lists (after Test, and again after the reload a save makes, from
// this tab's last Test: the saved id stays chosen, and the API checks it anyway).
function showOptions(o) {
  const label = (x) => `${x.name} (${x.id})`;
  fill("f-default_tickettype_id", o.ticket_types, label);
  fill("f-default_priority_id", o.priorities, label);
  if (o.clients) {
    fill("f-default_client_id", o.clients, label);
    // a site belongs to its client: one not among the chosen client's sites is not kept
    const other = String(o.sites_client_id ?? "") !== $("f-default_client_id").value;
    fill("f-default_site_id", other ? [] : o.sites, label, true);
    fill("f-close_status_id", o.statuses, label);
    const shown = o.clients.length;
    const which = o.client_search ? ` matching "${o.client_search}"` : "";
    $("client-count").textContent = `${shown} of ${o.clients_total} clients${which}`
      + (o.clients_total > shown ? ": type part of a name to find the others." : ".");
  }
  for (const pick of document.querySelectorAll("#matrix .pick")) fillPick(pick);
}

async function save() {
  say("save-result", "Saving…", true);
  let body;
  try { body = settingsBody(); } catch (err) { return say("save-result", err.message, false); }
  const r = await act("save", body);
  markRows("matrix", "priority_matrix", r.ok ? null : r.body);
  if (!r.ok) return say("save-result", problem(r.status, r.body), false);
  $("f-client_secret").value = "";
  const st = r.body.status || {};
  let text = `Saved. State: ${st.state || "?"}.`;
  if (r.body.webhook && r.body.webhook.password) {
    // shown once: not kept anywhere for a reload, so the page stays as it is
    return say("save-result", `${text} New webhook password (shown once, copy it now):`
      + ` ${r.body.webhook.password}`, true);
  }
  reloadSaying("save-result", text);
}

async function saveWindows() {
  say("windows-result", "Saving…", true);
  const windows = rowsOf("window-rows").map((row) => row.read());
  const r = await act("windows", { maintenance_windows: windows });
  markRows("window-rows", "maintenance_windows", r.ok ? null : r.body);
  if (!r.ok) return say("windows-result", problem(r.status, r.body), false);
  const active = r.body.active_now.length ? ` Active now: ${r.body.active_now.join(", ")}.` : "";
  reloadSaying("windows-result", `Saved ${r.body.maintenance_windows.length} window(s).${active}`);
}

// ---- Row editors: priority matrix entries and maintenance windows, read back into the API's
// JSON (the same bodies the API documents), so nobody writes JSON by hand.

// An element with properties (value, checked, textContent, className, hidden) and attributes.
function el(tag, props, ...kids) {
  const node = document.createElement(tag);
  for (const [k, v] of Object.entries(props || {})) {
    if (["value", "checked", "textContent", "className", "hidden", "type"].includes(k)) node[k] = v;
    else node.setAttribute(k, v);
  }
  node.append(...kids);
  return node;
}

const field = (label, input) => el("label", {}, label, input);
const rowsOf = (id) => [...$(id).children];
const pad = (n) => String(n).padStart(2, "0");
const ZONE = Intl.DateTimeFormat().resolvedOptions().timeZone || "UTC";
const DAYS = ["mon", "tue", "wed", "thu", "fri", "sat", "sun"];

function rowButtons(row, moves) {
  const box = el("span", { className: "row-buttons" });
  const button = (text, title, fn) => {
    const b = el("button", { type: "button", textContent: text, title, "aria-label": title });
    b.addEventListener("click", fn);
    box.append(b);
  };
  if (moves) {
    button("↑", "Move up", () => row.previousElementSibling
      && row.parentNode.insertBefore(row, row.previousElementSibling));
    button("↓", "Move down", () => row.nextElementSibling
      && row.parentNode.insertBefore(row.nextElementSibling, row));
  }
  button("Remove", "Remove this row", () => row.remove());
  return box;
}

// The API's errors at the rows they name: "maintenance_windows.1.end" (validation) or
// "priority_matrix[1].priority_id" (Halo's check) marks row 2 and, when named, its field.
function markRows(containerId, prefix, body) {
  const rows = rowsOf(containerId);
  for (const row of rows) {
    row.classList.remove("bad");
    row.querySelector(".row-error").textContent = "";
    for (const f of row.querySelectorAll(".bad")) f.classList.remove("bad");
  }
  if (!body) return;
  const list = Array.isArray(body.fields) ? body.fields
    : body.field ? [{ field: body.field, message: body.message }] : [];
  const pattern = new RegExp(`^${prefix}(?:\\.(\\d+)|\\[(\\d+)\\])(?:\\.(.+))?$`);
  for (const f of list) {
    const hit = pattern.exec(f.field || "");
    const row = hit && rows[Number(hit[1] ?? hit[2])];
    if (!row) continue;
    row.classList.add("bad");
    const out = row.querySelector(".row-error");
    out.textContent = (out.textContent ? out.textContent + "; " : "") + `${f.field}: ${f.message}`;
    const part = hit[3] && row.querySelector(`[data-field="${CSS.escape(hit[3])}"]`);
    if (part) part.classList.add("bad");
  }
  const first = rows.find((r) => r.classList.contains("bad"));
  if (first) first.scrollIntoView({ block: "center" });
}

// Halo's names of a kind (ticket_types, priorities): this tab's last Test, else the kept names.
function knownNames(kind) {
  const o = JSON.parse(sessionStorage.getItem("halo-options") || "{}");
  if (Array.isArray(o[kind]) && o[kind].length) return o[kind];
  const kept = JSON.parse($("settings").dataset.names || "{}")[kind] || {};
  return Object.entries(kept).map(([id, name]) => ({ id: Number(id), name }));
}

// A matrix entry's priority or ticket type: a pick-list by name when names are known, else an id.
function fillPick(pick) {
  const now = pick.querySelector("select, input");
  const value = now ? now.value.trim() : pick.dataset.value;
  const names = knownNames(pick.dataset.kind);
  let control;
  if (names.length) {
    control = el("select", {});
    control.add(new Option("— the default —", ""));
    for (const n of names) control.add(new Option(`${n.name} (${n.id})`, String(n.id)));
    if (value && ![...control.options].some((o) => o.value === value)) {
      control.add(new Option(`ID ${value}`, value));
    }
    control.value = value;
  } else {
    control = el("input", { value, inputmode: "numeric", size: 8,
      placeholder: "ID (empty: the default)" });
  }
  control.setAttribute("aria-label", pick.dataset.label);
  pick.replaceChildren(control);
}

function readId(pick) {
  const v = pick.querySelector("select, input").value.trim();
  if (v === "") return null;
  return /^\d+$/.test(v) ? Number(v) : v; // anything else as typed: the API says what is wrong
}

function matrixRow(m) {
  const row = el("div", { className: "row entry" });
  const severity = el("select", { "data-field": "severity" });
  for (const [v, t] of [["", "any severity"], ["critical", "critical"], ["warning", "warning"],
    ["info", "info"]]) severity.add(new Option(t, v));
  if (m.severity && !["critical", "warning", "info"].includes(m.severity)) {
    severity.add(new Option(m.severity, m.severity)); // another Watchman severity, kept
  }
  severity.value = m.severity || "";
  const pattern = el("input", { value: m.alert_name_pattern || "", placeholder: "any name",
    "data-field": "alert_name_pattern" });
  const pick = (kind, key, label) => {
    const p = el("span", { className: "pick", "data-kind": kind, "data-field": key,
      "data-label": label });
    p.dataset.value = m[key] == null ? "" : String(m[key]);
    fillPick(p);
    return p;
  };
  const priority = pick("priorities", "priority_id", "Priority");
  const type = pick("ticket_types", "tickettype_id", "Ticket type");
  row.append(field("Severity", severity), field("Alert name pattern", pattern),
    field("Priority", priority), field("Ticket type", type), rowButtons(row, true),
    el("div", { className: "row-error", role: "alert" }));
  row.read = () => {
    const out = {};
    if (severity.value) out.severity = severity.value;
    if (pattern.value.trim()) out.alert_name_pattern = pattern.value.trim();
    const p = readId(priority);
    const t = readId(type);
    if (p !== null) out.priority_id = p;
    if (t !== null) out.tickettype_id = t;
    return out;
  };
  return row;
}

// RFC 3339 → the datetime-local value of the same moment in the viewer's time zone.
function localInput(iso) {
  const d = new Date(iso);
  if (!iso || isNaN(d)) return "";
  const s = `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())}`
    + `T${pad(d.getHours())}:${pad(d.getMinutes())}`;
  return d.getSeconds() ? `${s}:${pad(d.getSeconds())}` : s;
}

// A datetime-local value (the viewer's wall clock) → RFC 3339 with the viewer's offset then.
function rfc3339(local) {
  const d = new Date(local); // a date-time without offset is local time
  if (isNaN(d)) return local;
  const off = -d.getTimezoneOffset();
  const a = Math.abs(off);
  return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())}T${pad(d.getHours())}:`
    + `${pad(d.getMinutes())}:${pad(d.getSeconds())}${off < 0 ? "-" : "+"}`
    + `${pad(Math.floor(a / 60))}:${pad(a % 60)}`;
}

function momentInput(iso, key) {
  const input = el("input", { type: "datetime-local", value: localInput(iso), "data-field": key });
  input.dataset.saved = iso || "";
  input.dataset.shown = input.value;
  // untouched: the saved text as it was (its own offset); empty: "" so the API names the field
  input.read = () => (input.value === input.dataset.shown && input.dataset.saved
    ? input.dataset.saved : input.value ? rfc3339(input.value) : "");
  return input;
}

function freeWindowId() {
  const taken = new Set(rowsOf("window-rows").map((r) => r.querySelector("[data-field=id]").value));
  let n = 1;
  while (taken.has(`window-${n}`)) n += 1;
  return `window-${n}`;
}

function windowRow(w) {
  const row = el("div", { className: "row window" });
  const id = el("input", { value: w.id || freeWindowId(), "data-field": "id", size: 14 });
  const kind = el("select", { "data-field": "kind" });
  kind.add(new Option("Weekly", "weekly"));
  kind.add(new Option("One-off", "once"));
  kind.value = w.start || w.end ? "once" : "weekly";
  const start = momentInput(w.start, "start");
  const end = momentInput(w.end, "end");
  const once = el("span", { className: "part" },
    field(`Start (your time, ${ZONE})`, start), field("End", end));
  const weeklyDays = (w.weekly && w.weekly.days) || [];
  const days = el("span", { className: "days", "data-field": "weekly.days" }, ...DAYS.map((d) =>
    el("label", { className: "check" },
      el("input", { type: "checkbox", value: d, checked: weeklyDays.includes(d) }), d)));
  const from = el("input", { type: "time", value: (w.weekly && w.weekly.from) || "",
    "data-field": "weekly.from" });
  const to = el("input", { type: "time", value: (w.weekly && w.weekly.to) || "",
    "data-field": "weekly.to" });
  const zone = el("input", { value: w.time_zone || ZONE, list: "time-zones", size: 18,
    "data-field": "time_zone" });
  const weekly = el("span", { className: "part" }, field("Days", days), field("From", from),
    field("To (≤ From: next day)", to), field("Time zone", zone));
  const show = () => { once.hidden = kind.value !== "once"; weekly.hidden = !once.hidden; };
  kind.addEventListener("change", show);
  show();
  const computers = el("input", { value: (w.computers || []).join(", "), size: 24,
    placeholder: "all computers", "data-field": "computers" });
  const pattern = el("input", { value: w.alert_name_pattern || "", size: 16,
    placeholder: "all alerts, e.g. Disk*", "data-field": "alert_name_pattern" });
  row.append(field("Name", id), field("Kind", kind), once, weekly,
    field("Computers (id, name or serial; commas)", computers),
    field("Alert name pattern", pattern), rowButtons(row, false),
    el("div", { className: "row-error", role: "alert" }));
  row.read = () => {
    const out = { id: id.value.trim() };
    if (kind.value === "once") {
      out.start = start.read();
      out.end = end.read();
    } else {
      const chosen = [...days.querySelectorAll("input:checked")].map((c) => c.value);
      out.weekly = { days: chosen, from: from.value, to: to.value };
      out.time_zone = zone.value.trim();
    }
    const names = computers.value.split(",").map((x) => x.trim()).filter(Boolean);
    if (names.length) out.computers = names;
    if (pattern.value.trim()) out.alert_name_pattern = pattern.value.trim();
    return out;
  };
  return row;
}

function startRows() {
  const matrix = $("matrix");
  for (const m of JSON.parse(matrix.dataset.matrix || "[]")) matrix.append(matrixRow(m));
  $("add-matrix").addEventListener("click", () => {
    matrix.append(matrixRow({}));
    matrix.lastElementChild.querySelector("select").focus();
  });
  const windows = $("window-rows");
  for (const w of JSON.parse(windows.dataset.windows || "[]")) windows.append(windowRow(w));
  $("add-window").addEventListener("click", () => {
    windows.append(windowRow({}));
    windows.lastElementChild.querySelector("input").focus();
  });
  const zones = Intl.supportedValuesOf ? Intl.supportedValuesOf("timeZone") : [ZONE];
  $("time-zones").replaceChildren(...zones.map((z) => el("option", { value: z })));
}

async function selfTest(action) {
  say("self-test-result", "Running… (up to a minute)", true);
  const body = action === "self-test" ? { write: $("f-write").checked } : undefined;
  const r = await act(action, body);
  if (!r.ok) return say("self-test-result", problem(r.status, r.body), false);
  const out = $("self-test-result");
  out.className = "result " + (r.body.ok ? "ok" : "bad");
  out.replaceChildren(document.createTextNode(r.body.ok ? "All steps passed." : "A step failed."));
  const list = document.createElement("ul");
  for (const s of r.body.steps) {
    const li = document.createElement("li");
    const mark = s.skipped ? "skipped" : s.ok ? "ok" : "FAILED";
    li.textContent = `${s.name}: ${mark}${s.detail ? " — " + s.detail : ""}`
      + (s.fix ? ` How to fix: ${s.fix}` : "");
    list.append(li);
  }
  out.append(list);
}

function backfillProgress(b) {
  return `Backfill ${b.state}: ${b.created} created, ${b.skipped} skipped, ${b.failed} failed`
    + ` of ${b.total}.`;
}

async function backfillPreview() {
  const out = $("backfill-body");
  const r = await act("backfill-preview");
  if (r.status === 404 && !(r.body && r.body.error === "not_configured")) {
    out.textContent = "Backfill is not available on this server yet.";
    return;
  }
  if (!r.ok) { out.textContent = problem(r.status, r.body); return; }
  const p = r.body;
  out.className = "";
  out.replaceChildren(document.createTextNode(`${p.count} raised alert(s) have no ticket`
    + ` (${p.already_ticketed} already have one)${p.truncated ? ", list truncated" : ""}.`));
  if (!p.alerts.length) return;
  const table = document.createElement("table");
  table.innerHTML = "<thead><tr><th>Raised</th><th>Computer</th><th>Alert</th>"
    + "<th>Severity</th><th>Would</th></tr></thead>";
  const rows = document.createElement("tbody");
  for (const a of p.alerts.slice(0, 50)) {
    const tr = rows.insertRow();
    const when = new Date(a.raised_at);
    const w = a.would || {};
    const would = `${w.action || "?"}: priority ${named("priorities", w.priority_id)},`
      + ` type ${named("ticket_types", w.tickettype_id)}, client`
      + ` ${named("clients", w.client_id)}, site ${named("sites", w.site_id)}`;
    for (const v of [isNaN(when) ? a.raised_at : when.toLocaleString(), a.computer,
      a.alert_name, a.severity, would]) tr.insertCell().textContent = v ?? "";
  }
  table.append(rows);
  out.append(table);
  $("start-backfill").hidden = false;
}

async function startBackfill() {
  const out = $("backfill-body");
  const r = await act("backfill", {});
  if (!r.ok) { out.textContent = problem(r.status, r.body); return; }
  $("start-backfill").hidden = true;
  out.textContent = backfillProgress(r.body.backfill);
  const poll = setInterval(async () => {
    const s = await act("status");
    const b = s.ok && s.body.status && s.body.status.backfill;
    if (!b) return;
    out.textContent = backfillProgress(b);
    if (b.state !== "running" && b.state !== "queued") clearInterval(poll);
  }, 2000);
}

function run(fn) {
  return () => fn().catch((err) => say("save-result", `Failed: ${err.message}`, false));
}

document.addEventListener("DOMContentLoaded", () => {
  localTimes();
  if (!$("settings")) return; // a view link: nothing to edit
  sayRestored();
  startRows();
  const known = sessionStorage.getItem("halo-options");
  if (known) showOptions(JSON.parse(known));
  $("test").addEventListener("click", run(test));
  // Halo's priorities belong to the ticket type's SLA: once tested, a new type tests again
  // the same for a client's sites; and the client search asks Halo again (debounced: each
  // search is one credential test on the Halo instance's owner, within its budget)
  for (const id of ["f-default_tickettype_id", "f-default_client_id"]) {
    $(id).addEventListener("change", () => {
      if (sessionStorage.getItem("halo-options")) run(test)();
    });
  }
  let typing = null;
  $("client-search").addEventListener("input", () => {
    clearTimeout(typing);
    const v = $("client-search").value.trim();
    if (v.length === 1) return;
    typing = setTimeout(run(test), 700);
  });
  $("client-search").addEventListener("keydown", (ev) => {
    if (ev.key === "Enter") { ev.preventDefault(); clearTimeout(typing); run(test)(); }
  });
  $("save").addEventListener("click", run(save));
  $("save-windows").addEventListener("click", run(saveWindows));
  $("run-self-test").addEventListener("click", run(() => selfTest("self-test")));
  $("run-check").addEventListener("click", run(() => selfTest("check")));
  $("start-backfill").addEventListener("click", run(startBackfill));
  run(backfillPreview)();
});
