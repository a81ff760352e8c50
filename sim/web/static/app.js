// Sputnik Moment pages: live refresh over Server-Sent Events, forms posted as JSON, the round
// timer, and the explorer's sliders. No library: every byte comes from this server.
"use strict";

const $ = (sel, root = document) => root.querySelector(sel);
const $$ = (sel, root = document) => Array.from(root.querySelectorAll(sel));
let source = null;

function say(text, bad) {
  const m = $("#msg");
  if (!m) return;
  m.textContent = text;
  m.className = bad ? "error" : "ok";
}

let busy = false, again = false;
async function refresh() {
  // One refresh at a time: two racing fetches could put an older fragment in last.
  if (busy) { again = true; return; }
  busy = true;
  try {
    do {
      again = false;
      const live = $("[data-live]");
      if (!live) return;
      const r = await fetch(live.dataset.src, { cache: "no-store" });
      if (!r.ok) return;
      const box = document.createElement("div");
      box.innerHTML = await r.text();
      const next = box.querySelector("[data-live]");
      const now = $("[data-live]");
      if (!next || !now) return;
      if (now.dataset.reloadOnRound && next.dataset.round !== now.dataset.round) {
        location.reload(); // a new round: new levers and values, so the whole page
        return;
      }
      now.replaceWith(next);
      bind(next);
      tick();
    } while (again);
  } catch (e) {
    again = false; // offline for a moment: the next message or the online event retries
  } finally {
    busy = false;
  }
}

function connect() {
  // EventSource retries by itself, but gives up (CLOSED) when a retry fails while offline.
  if (source) source.close();
  source = new EventSource("/events");
  // The first message says "connected": refresh then too, since a change may have landed
  // between this page's rendering and the stream's opening.
  source.onmessage = () => refresh();
  source.onerror = () => { if (source.readyState === EventSource.CLOSED) setTimeout(connect, 1000); };
}
window.addEventListener("online", () => { connect(); refresh(); });

function formData(form) {
  const out = {};
  for (const el of form.elements) {
    if (!el.name) continue;
    if (el.type === "radio" && !el.checked) continue;
    if (el.type === "checkbox") {
      if (el.name.endsWith("[]")) { (out[el.name.slice(0, -2)] ||= []); if (el.checked) out[el.name.slice(0, -2)].push(el.value); }
      else out[el.name] = el.checked;
    } else if (el.name.includes(".")) {
      const [head, key] = el.name.split(".", 2);
      (out[head] ||= {})[key] = el.value;
    } else out[el.name] = el.value;
  }
  return out;
}

async function post(url, body, after) {
  const r = await fetch(url, {
    method: "POST", headers: { "Content-Type": "application/json" }, body: JSON.stringify(body || {}),
  });
  let data = {};
  try { data = await r.json(); } catch (e) { data = { error: `server answered ${r.status}` }; }
  say(data.ok || data.error || "", !r.ok);
  if (r.ok && after) after();
  return r.ok;
}

function bind(root = document) {
  for (const form of $$("form[data-post]", root)) {
    if (form.dataset.bound) continue;
    form.dataset.bound = "1";
    form.addEventListener("submit", (ev) => {
      ev.preventDefault();
      if (form.dataset.confirm && !confirm(form.dataset.confirm)) return;
      post(form.dataset.post, formData(form), form.dataset.reload ? () => location.reload() : null);
    });
  }
  for (const b of $$("button[data-post]", root)) {
    if (b.dataset.bound) continue;
    b.dataset.bound = "1";
    b.addEventListener("click", () => {
      if (b.dataset.confirm && !confirm(b.dataset.confirm)) return;
      post(b.dataset.post, b.dataset.body ? JSON.parse(b.dataset.body) : {});
    });
  }
}

function tick() {
  for (const t of $$(".timer")) {
    const dl = parseFloat(t.dataset.deadline), left = parseFloat(t.dataset.left);
    let secs = NaN;
    if (!isNaN(dl)) secs = Math.max(0, dl - Date.now() / 1000);
    else if (!isNaN(left)) secs = left;
    if (isNaN(secs)) { t.textContent = ""; continue; }
    const m = Math.floor(secs / 60), s = Math.floor(secs % 60);
    t.textContent = `${m}:${String(s).padStart(2, "0")}${isNaN(dl) ? " (stopped)" : ""}`;
    t.classList.toggle("late", secs === 0);
  }
}
setInterval(tick, 1000);

// ---- new game: the role list follows the scenario
async function loadRoles() {
  const sel = $("#new-game #scenario");
  if (!sel) return;
  const r = await fetch(`/console/roles?scenario=${encodeURIComponent(sel.value)}`);
  const data = await r.json();
  const list = $("#role-list");
  list.textContent = "";
  for (const role of data.roles || []) {
    const row = document.createElement("div");
    row.className = "role-row";
    const lab = document.createElement("label");
    const box = document.createElement("input");
    box.type = "checkbox"; box.name = "humans[]"; box.value = role.id; box.id = `human-${role.id}`;
    lab.append(box, ` ${role.name} (${role.id}) `);
    const bot = document.createElement("select");
    bot.name = `bots.${role.id}`; bot.setAttribute("aria-label", `bot for ${role.id}`);
    for (const b of data.bots[role.kind]) {
      const o = document.createElement("option"); o.value = b; o.textContent = `bot: ${b}`;
      if (b === role.bot) o.selected = true;
      bot.append(o);
    }
    row.append(lab, bot);
    list.append(row);
  }
}

// ---- explorer
const money = (v) => v >= 1e9 ? `$${(v / 1e9).toFixed(0)}B` : v >= 1e6 ? `$${(v / 1e6).toFixed(0)}M` : `$${v.toFixed(0)}`;
function showValue(input) {
  const out = $(`output[data-for="${input.id}"]`);
  if (!out) return;
  const v = parseFloat(input.value);
  out.textContent = input.dataset.unit === "USD" ? money(v) : input.dataset.unit === "TPP" ? v.toFixed(0) : v.toFixed(2);
}
let seq = 0, timer = null, initialValues = new Map();
const sliderValue = (s) => s.type === "checkbox" ? (s.checked ? "1" : "0") : s.value;
function query(mode) {
  // only the sliders the user moved: an untouched one stays exactly the scenario's value
  const p = new URLSearchParams({ scenario: $("#levers").dataset.scenario, mode });
  for (const s of $$(".slider")) if (sliderValue(s) !== initialValues.get(s)) p.set(`v.${s.dataset.path}`, sliderValue(s));
  return `/api/explore?${p}`;
}
function drawWhy(why) {
  const box = $("#why");
  box.textContent = "";
  const h = document.createElement("h2"); h.textContent = "Why did it move?"; box.append(h);
  const p = document.createElement("p"); p.textContent = why.end; box.append(p);
  const note = document.createElement("p"); note.className = "hint";
  note.textContent = "Change in China's capability against the baseline over the whole run, by cause:";
  box.append(note);
  for (const r of why.rows) {
    const row = document.createElement("div"); row.className = "why-row";
    const l = document.createElement("span"); l.className = "why-label"; l.textContent = r.label;
    const bar = document.createElement("span"); bar.className = `why-bar ${r.sign}`; bar.style.width = `${r.width}%`;
    const v = document.createElement("span"); v.className = "why-value"; v.textContent = r.text;
    row.append(l, bar, v); box.append(row);
  }
}
async function rerun() {
  const mine = ++seq;
  const chart = $("#chart");
  chart.dataset.state = "running";
  for (const mode of ["single", "band"]) {
    const r = await fetch(query(mode));
    if (mine !== seq) return; // a newer slider move: drop this answer
    const data = await r.json();
    if (!r.ok) { say(data.error, true); return; }
    chart.innerHTML = data.svg;
    chart.dataset.state = mode;
    chart.dataset.seq = String(mine);
    drawWhy(data.why);
    $("#chart-status").textContent = mode === "band" ? `Band over ${data.seeds} seeds (${Math.round(data.ms)} ms).` : `One run (${Math.round(data.ms)} ms); filling the band...`;
  }
}
function bindExplorer() {
  const form = $("#levers");
  if (!form) return;
  const initial = $$(".slider").map((s) => [s, s.type === "checkbox" ? s.checked : s.value]);
  for (const s of $$(".slider")) initialValues.set(s, sliderValue(s));
  for (const s of $$(".slider")) {
    showValue(s);
    // No debounce: an answer to an older move is dropped when it arrives (see rerun).
    s.addEventListener("input", () => { showValue(s); clearTimeout(timer); timer = setTimeout(rerun, 0); });
  }
  $("#reset").addEventListener("click", () => {
    for (const [s, v] of initial) { if (s.type === "checkbox") s.checked = v; else s.value = v; showValue(s); }
    rerun();
  });
  rerun();
}

document.addEventListener("DOMContentLoaded", () => {
  bind();
  tick();
  if ($("[data-live]")) connect();
  const sel = $("#new-game #scenario");
  if (sel) { sel.addEventListener("change", loadRoles); loadRoles(); }
  bindExplorer();
});
