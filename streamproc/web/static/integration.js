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
  const matrix = $("f-priority_matrix").value.trim();
  try {
    body.priority_matrix = matrix ? JSON.parse(matrix) : [];
  } catch (err) {
    throw new Error("priority_matrix: is not valid JSON");
  }
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
  const names = o.ticket_types.map((t) => `${t.id} = ${t.name}`).concat(
    o.priorities.map((p) => `priority ${p.id} = ${p.name}`));
  $("names").textContent = "IDs for the matrix: " + names.join(", ");
}

async function save() {
  say("save-result", "Saving…", true);
  let body;
  try { body = settingsBody(); } catch (err) { return say("save-result", err.message, false); }
  const r = await act("save", body);
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
  let windows;
  try { windows = JSON.parse($("f-windows").value.trim() || "[]"); } catch (err) {
    return say("windows-result", "maintenance_windows: is not valid JSON", false);
  }
  const r = await act("windows", { maintenance_windows: windows });
  if (!r.ok) return say("windows-result", problem(r.status, r.body), false);
  const active = r.body.active_now.length ? ` Active now: ${r.body.active_now.join(", ")}.` : "";
  reloadSaying("windows-result", `Saved ${r.body.maintenance_windows.length} window(s).${active}`);
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
