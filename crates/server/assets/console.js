// lfr console: sends forms to the API as JSON, keeps pages live over
// Server-Sent Events, and gives the alert queue its keyboard shortcuts.
// No build step and no libraries: this file is served as written.
"use strict";

function announce(text) {
  const live = document.getElementById("announce");
  if (!live) return;
  live.textContent = "";
  setTimeout(() => { live.textContent = text; }, 50);
}

async function api(method, path, body) {
  const res = await fetch(path, {
    method,
    headers: body === undefined ? {} : { "content-type": "application/json" },
    body: body === undefined ? undefined : JSON.stringify(body),
    credentials: "same-origin",
  });
  let data = null;
  const text = await res.text();
  try { data = text ? JSON.parse(text) : null; } catch (_) { data = { message: text }; }
  if (!res.ok) {
    const msg = (data && data.message) || res.statusText;
    const err = new Error(msg);
    err.status = res.status;
    err.rule = data && data.rule;
    throw err;
  }
  return data;
}

// Form fields as the API wants them: numbers, booleans, RFC 3339 times.
function formBody(form) {
  const body = {};
  for (const el of form.elements) {
    if (!el.name || el.disabled) continue;
    if (el.type === "checkbox") body[el.name] = el.checked;
    else if (el.type === "radio") { if (el.checked) body[el.name] = el.value; }
    else if (el.type === "number") { if (el.value !== "") body[el.name] = Number(el.value); }
    else if (el.type === "datetime-local") { if (el.value) body[el.name] = new Date(el.value).toISOString(); }
    else body[el.name] = el.value;
  }
  return body;
}

function showError(container, e) {
  const box = container.querySelector(".error");
  const text = e.rule ? `Refused (${e.rule}): ${e.message}` : e.message;
  if (box) box.textContent = text; else announce(text);
}

document.addEventListener("submit", async (ev) => {
  const form = ev.target.closest("form.api");
  if (!form) return;
  ev.preventDefault();
  const button = form.querySelector("button[type=submit]");
  if (button) button.disabled = true;
  try {
    await api("POST", form.dataset.api, formBody(form));
    const then = form.dataset.then || "reload";
    if (then === "reload") location.reload();
    else location.assign(then);
  } catch (e) {
    if (e.status === 401 && form.id !== "signin") { location.assign("/signin"); return; }
    showError(form, e);
    const box = form.querySelector(".error");
    if (box) { box.setAttribute("tabindex", "-1"); box.focus(); }
  } finally {
    if (button) button.disabled = false;
  }
});

document.addEventListener("click", async (ev) => {
  if (ev.target.closest("[data-signout]")) {
    await fetch("/api/session", { method: "DELETE", credentials: "same-origin" });
    location.assign("/signin");
  }
  const decide = ev.target.closest("[data-decide]");
  if (decide) adjudicate(decide.closest("article.alert"), decide.dataset.decide, decide.dataset.repeatOf);
  if (ev.target.closest("[data-undo]")) undo(ev.target.closest("article.alert"));
  const verify = ev.target.closest("[data-verify-audit]");
  if (verify) {
    const out = document.getElementById("verify-result");
    try {
      const v = await api("GET", "/api/audit/verify");
      out.textContent = v.first_tampered
        ? `TAMPERED from entry ${v.first_tampered.seq}: ${v.first_tampered.reason}`
        : `Intact: ${v.entries} entries, head ${v.head.slice(0, 16)}...`;
    } catch (e) { out.textContent = e.message; }
  }
});

// Sign-in links carry the token in the fragment, which never reaches a server log.
function signInFromLink() {
  const form = document.getElementById("signin");
  if (!form) return;
  const m = location.hash.match(/token=([A-Za-z0-9_]+)/);
  if (!m) return;
  history.replaceState(null, "", location.pathname);
  form.querySelector("[name=token]").value = m[1];
  form.requestSubmit();
}

// ---- Alert queues ----

const queue = document.querySelector("[data-queue]");
const mode = queue ? queue.dataset.queue : null;

// A server-drawn fragment (a card, a region), as an element; null on failure.
async function fetchFragment(url) {
  const res = await fetch(url, { credentials: "same-origin" });
  if (!res.ok) return null;
  const t = document.createElement("template");
  t.innerHTML = (await res.text()).trim();
  return t.content.firstElementChild;
}

// Replaces the element with id `id` by a fresh copy drawn by the server.
async function redraw(url, id) {
  const fresh = await fetchFragment(url);
  const old = document.getElementById(id);
  if (fresh && old) old.replaceWith(fresh);
}

// `fn`, run once `ms` after the last of a burst of calls.
function debounced(fn, ms) {
  let timer = null;
  return () => { clearTimeout(timer); timer = setTimeout(fn, ms); };
}

function fetchCard(id) {
  return fetchFragment(`/console/alerts/${id}/card?mode=${mode}`);
}

// Waiting cards, without those whose decision is in its undo window.
function pendingCards() {
  return Array.from(document.querySelectorAll("#pending article.alert:not([data-deciding])"));
}

const baseTitle = document.title;

function updateCount() {
  const n = pendingCards().length;
  const c = document.getElementById("pending-count");
  if (c) c.textContent = `(${n})`;
  const empty = document.getElementById("empty");
  if (empty) empty.hidden = n > 0;
  // Seen from another tab or the taskbar.
  if (mode === "operator") document.title = n ? `(${n}) ${baseTitle}` : baseTitle;
}

// How long each alert has waited, counted up in its card.
function waited(ms) {
  const s = Math.max(0, Math.floor(ms / 1000));
  return s < 60 ? `waiting ${s} s` : `waiting ${Math.floor(s / 60)} min ${String(s % 60).padStart(2, "0")} s`;
}
function tickWaiting() {
  for (const el of document.querySelectorAll("#pending .waiting[data-since]")) {
    el.textContent = waited(Date.now() - Date.parse(el.dataset.since));
  }
}

// Puts a fresh card where its state belongs; returns it.
function place(card) {
  const id = card.dataset.alert;
  const old = document.getElementById(`alert-${id}`);
  if (mode === "operator") {
    if (card.dataset.class === "pending") {
      // A card in its undo window stays as it is (its decision is on its
      // way); a card with focus keeps it when drawn again.
      if (old && old.dataset.deciding) return old;
      const focused = old && old.contains(document.activeElement);
      if (old) old.replaceWith(card); else document.getElementById("pending").append(card);
      if (focused) card.focus();
      regroup();
    } else {
      if (old) old.remove();
      document.getElementById("decided").prepend(card);
      regroup();
      refreshSameSubject(card);
    }
    updateCount();
  } else if (mode === "engagement") {
    const relevant = ["awaiting_engagement", "true_confirmed", "false_confirmed", "true_unconfirmed"].includes(card.dataset.class);
    if (old) old.replaceWith(card); else if (relevant) queue.append(card);
  }
  return card;
}

// The operator's choice of order, kept in this browser.
function newestFirst() {
  return localStorage.getItem("lfr.order") === "newest";
}
const orderButton = document.getElementById("order");
if (orderButton) {
  const show = () => {
    orderButton.setAttribute("aria-pressed", String(newestFirst()));
    orderButton.textContent = `Newest first: ${newestFirst() ? "on" : "off"}`;
  };
  orderButton.addEventListener("click", () => {
    localStorage.setItem("lfr.order", newestFirst() ? "oldest" : "newest");
    show();
    regroup();
  });
  show();
}

// Waiting alerts of one subject sit together, the first in the chosen
// order leading and each other one marked as the same person, so the
// operator decides them together.
function regroup() {
  const pending = document.getElementById("pending");
  if (!pending) return;
  // In the chosen order (longest waiting first, or newest first), each
  // subject's group where its first alert falls.
  const sign = newestFirst() ? -1 : 1;
  const byId = (a, b) => sign * (Number(a.dataset.alert) - Number(b.dataset.alert));
  const groups = new Map();
  for (const c of Array.from(pending.querySelectorAll(":scope > article.alert")).sort(byId)) {
    if (!groups.has(c.dataset.subject)) groups.set(c.dataset.subject, []);
    groups.get(c.dataset.subject).push(c);
  }
  const ordered = groups.values();
  const focused = document.activeElement && document.activeElement.closest("article.alert");
  let prev = null;
  for (const cards of ordered) {
    for (const [i, c] of cards.entries()) {
      const want = prev ? prev.nextElementSibling : pending.querySelector(":scope > article.alert");
      if (want !== c) pending.insertBefore(c, want);
      let note = c.querySelector(":scope > p.grouped");
      if (i === 0) {
        delete c.dataset.grouped;
        if (note) note.remove();
      } else {
        c.dataset.grouped = cards[0].dataset.alert;
        if (!note) {
          note = document.createElement("p");
          note.className = "grouped";
          c.prepend(note);
        }
        note.textContent = `Same person as A${cards[0].dataset.alert}, also waiting`;
      }
      prev = c;
    }
  }
  if (focused && focused.isConnected && document.activeElement !== focused && !focused.contains(document.activeElement)) focused.focus();
}

// A decided alert may make the subject's later waiting alerts repeats of
// it: their cards are drawn again to offer it (not those in an undo window).
async function refreshSameSubject(decided) {
  const subject = decided.dataset.subject;
  for (const c of pendingCards()) {
    if (c.dataset.subject !== subject || c.dataset.alert === decided.dataset.alert) continue;
    const fresh = await fetchCard(c.dataset.alert);
    if (fresh && !c.dataset.deciding && c.isConnected) {
      const focused = c.contains(document.activeElement);
      c.replaceWith(fresh);
      if (focused) fresh.focus();
    }
  }
  regroup();
}

function current() {
  const focused = document.activeElement && document.activeElement.closest("article.alert");
  return focused || pendingCards()[0] || null;
}

// A decision waits this long, with an Undo, before it is sent: one
// keystroke on the wrong card must not be final.
const UNDO_MS = 5000;
// Decisions in their undo window, latest last: {card, decision, timer, send}.
const deciding = [];

function adjudicate(card, decision, repeatOf) {
  if (!card || card.dataset.deciding) return;
  const id = card.dataset.alert;
  const buttons = card.querySelectorAll("[data-decide]");
  if (!buttons.length) return;
  const next = pendingCards().find((c) => c !== card && c.compareDocumentPosition(card) & Node.DOCUMENT_POSITION_PRECEDING)
    || pendingCards().find((c) => c !== card);
  buttons.forEach((b) => { b.disabled = true; });
  card.dataset.deciding = decision;
  const label = decision === "passed_for_engagement" ? "passed for engagement"
    : decision === "repeat" ? `a repeat of A${repeatOf}` : "not a match";
  const body = decision === "repeat" ? { decision, repeat_of: `A${repeatOf}` } : { decision };
  const note = document.createElement("p");
  note.className = "undo";
  note.innerHTML = `Marked <strong></strong>: sent in 5 s. <button type="button" data-undo aria-keyshortcuts="U">Undo <kbd>U</kbd></button>`;
  note.querySelector("strong").textContent = label;
  card.querySelector(".decide").append(note);
  announce(`Alert A${id} marked ${label}. Press U within 5 seconds to undo.`);
  updateCount();
  const entry = { card, decision };
  entry.send = async (keepalive) => {
    const i = deciding.indexOf(entry);
    if (i < 0) return;
    deciding.splice(i, 1);
    clearTimeout(entry.timer);
    if (keepalive) {
      // The page is closing: the decision was made, so it is sent.
      fetch(`/api/alerts/${id}/adjudication`, {
        method: "POST", keepalive: true, credentials: "same-origin",
        headers: { "content-type": "application/json" }, body: JSON.stringify(body),
      });
      return;
    }
    try {
      await api("POST", `/api/alerts/${id}/adjudication`, body);
      announce(`Alert A${id}: ${label}.`);
      const fresh = await fetchCard(id);
      if (fresh) place(fresh);
    } catch (e) {
      restore(card);
      showError(card, e);
    }
  };
  entry.timer = setTimeout(() => entry.send(false), UNDO_MS);
  deciding.push(entry);
  if (next) next.focus(); else document.getElementById("h-pending").setAttribute("tabindex", "-1");
}

function restore(card) {
  delete card.dataset.deciding;
  card.querySelectorAll("[data-decide]").forEach((b) => { b.disabled = false; });
  const note = card.querySelector(".undo");
  if (note) note.remove();
  updateCount();
}

// Takes back the decision on `card`, or the latest still in its window.
function undo(card) {
  const i = card ? deciding.findIndex((d) => d.card === card) : deciding.length - 1;
  if (i < 0) return;
  const [entry] = deciding.splice(i, 1);
  clearTimeout(entry.timer);
  restore(entry.card);
  entry.card.focus();
  announce(`Alert A${entry.card.dataset.alert}: decision undone, waiting again.`);
}

window.addEventListener("pagehide", () => {
  for (const d of deciding.slice()) d.send(true);
});

document.addEventListener("keydown", (ev) => {
  if (!queue || mode !== "operator") return;
  if (ev.ctrlKey || ev.metaKey || ev.altKey) return;
  if (ev.target.closest("input, textarea, select, [contenteditable]")) return;
  const key = ev.key.toLowerCase();
  const cards = Array.from(document.querySelectorAll("article.alert"));
  if (key === "f" || key === "e") {
    ev.preventDefault();
    adjudicate(current(), key === "f" ? "false_alert_no_engagement" : "passed_for_engagement");
  } else if (key === "r") {
    // Only where the card offers it: an earlier alert of the same subject was dealt with.
    const card = current();
    const button = card && card.querySelector("[data-repeat-of]");
    if (button) { ev.preventDefault(); adjudicate(card, "repeat", button.dataset.repeatOf); }
  } else if (key === "u") {
    ev.preventDefault();
    undo(null);
  } else if (key === "j" || key === "k") {
    ev.preventDefault();
    const at = cards.indexOf(current());
    const to = cards[Math.max(0, Math.min(cards.length - 1, at + (key === "j" ? 1 : -1)))];
    if (to) to.focus();
  }
});

// ---- Live updates ----

function listen(onEvent) {
  const es = new EventSource("/api/events");
  for (const name of ["alert.raised", "alert.updated", "alert.seen_again", "deployment.changed", "camera.figures", "blue_pass.changed"]) {
    es.addEventListener(name, (m) => onEvent(name, JSON.parse(m.data)));
  }
  es.addEventListener("resync", () => location.reload());
  es.addEventListener("hello", () => { document.body.dataset.live = "yes"; });
  return es;
}

if (queue) {
  listen(async (name, e) => {
    if (name !== "alert.raised" && name !== "alert.updated" && name !== "alert.seen_again") return;
    const id = e.alert.slice(1);
    const card = await fetchCard(id);
    if (!card) return;
    const isNew = name === "alert.raised";
    if (isNew) card.classList.add("new");
    place(card);
    if (isNew && mode === "operator") {
      const cat = e.category ? `, ${e.category.replace(/_/g, " ")}` : "";
      const text = `New alert A${id} on camera ${e.camera}, score ${Number(e.score).toFixed(2)}${cat}.`;
      announce(text);
      alertSound();
      if (document.hidden && soundOn() && "Notification" in window && Notification.permission === "granted") {
        new Notification("lfr: new alert", { body: text, tag: `alert-${id}` });
      }
      if (!document.activeElement || document.activeElement === document.body) card.focus();
    }
    tickWaiting();
  });
  regroup();
  tickWaiting();
  updateCount();
  setInterval(tickWaiting, 1000);
}

// Sound on a new alert: two short tones, made here (no file to fetch). On
// unless the operator turns it off; the choice is kept in this browser.
function soundOn() {
  return localStorage.getItem("lfr.sound") !== "off";
}
let audio = null;
function alertSound() {
  if (!soundOn()) return;
  try {
    audio = audio || new AudioContext();
    const t = audio.currentTime;
    for (const [freq, at] of [[880, 0], [1320, 0.18]]) {
      const osc = audio.createOscillator();
      const gain = audio.createGain();
      osc.frequency.value = freq;
      gain.gain.setValueAtTime(0.25, t + at);
      gain.gain.exponentialRampToValueAtTime(0.001, t + at + 0.15);
      osc.connect(gain).connect(audio.destination);
      osc.start(t + at);
      osc.stop(t + at + 0.16);
    }
  } catch (_) { /* no audio device: the visual and spoken alert remain */ }
}
const soundButton = document.getElementById("sound");
if (soundButton) {
  const show = () => {
    soundButton.setAttribute("aria-pressed", String(soundOn()));
    soundButton.textContent = `Sound on new alerts: ${soundOn() ? "on" : "off"}`;
  };
  soundButton.addEventListener("click", () => {
    localStorage.setItem("lfr.sound", soundOn() ? "off" : "on");
    show();
    if (soundOn() && "Notification" in window && Notification.permission === "default") Notification.requestPermission();
  });
  show();
}

// The queue's camera strip: redrawn when a camera reports, and every 5 s so
// that a camera that has gone silent is raised even when nothing reports.
const cameraStrip = document.querySelector("[data-live-cameras]");
if (cameraStrip) {
  const refresh = () => redraw(cameraStrip.dataset.liveCameras, "camera-health");
  const soon = debounced(refresh, 300);
  listen((name) => {
    if (name === "camera.figures" || name === "deployment.changed") soon();
  });
  setInterval(refresh, 5000);
}

const figures = document.querySelector("[data-live-figures]");
if (figures) {
  const refresh = () => redraw(figures.dataset.liveFigures, "figures");
  const soon = debounced(refresh, 200);
  listen((name, e) => {
    const mine = document.getElementById("figures");
    if (mine && e.deployment !== `D${mine.dataset.deployment}`) return;
    if (name === "deployment.changed") { location.reload(); return; }
    soon();
  });
  setInterval(refresh, 5000);
}

// Blue Watchlist passes: redrawn when a pass starts, ends or is cancelled,
// or an alert arrives (the alert seen so far), but never under the
// operator's hands: not while focus is in the region's forms.
const passes = document.querySelector("[data-live-passes]");
if (passes) {
  let timer = null;
  const refresh = async () => {
    const region = document.getElementById("passes");
    if (region && region.contains(document.activeElement) && document.activeElement.closest("form")) {
      clearTimeout(timer);
      timer = setTimeout(refresh, 2000);
      return;
    }
    await redraw(passes.dataset.livePasses, "passes");
  };
  listen((name, e) => {
    const mine = document.getElementById("passes");
    if (mine && e.deployment !== `D${mine.dataset.deployment}`) return;
    if (name === "deployment.changed") { location.reload(); return; }
    if (name !== "blue_pass.changed" && name !== "alert.raised") return;
    if (name === "blue_pass.changed" && e.action !== "start") {
      announce(`Blue pass ${e.pass}: ${e.action === "cancel" ? "cancelled" : e.state.replace(/_/g, " ")}.`);
    }
    clearTimeout(timer);
    timer = setTimeout(refresh, 200);
  });
  setInterval(refresh, 10000);
}

signInFromLink();

// A camera's live view: fetched every second while the page is open (the
// server makes views only while someone asks).
const liveView = document.querySelector("[data-live-view]");
if (liveView) {
  const age = document.getElementById("live-age");
  let shown = null;
  const fetchView = async () => {
    try {
      const r = await fetch(liveView.dataset.liveView, { cache: "no-store", credentials: "same-origin" });
      if (!r.ok) {
        const body = await r.json().catch(() => ({}));
        age.textContent = body.message || `No picture (${r.status})`;
        return;
      }
      const url = URL.createObjectURL(await r.blob());
      liveView.src = url;
      if (shown) URL.revokeObjectURL(shown);
      shown = url;
      const ms = Number(r.headers.get("x-frame-age-ms") || 0);
      age.textContent = `Frame ${(ms / 1000).toFixed(1)} s old`;
      liveView.dataset.frames = String(Number(liveView.dataset.frames || 0) + 1);
    } catch (e) {
      age.textContent = `No picture: ${e.message}`;
    }
  };
  fetchView();
  setInterval(fetchView, 1000);
}

// Watchlist import: the chosen files go to the API as one tar archive (or
// the chosen archive as it is). Every image's grade and thumbnail come
// back; Import is offered only after a clean check of the same files, and
// choosing other files withdraws the offer.
const importBox = document.querySelector("[data-import]");
if (importBox) {
  const input = importBox.querySelector("input[type=file]");
  const checkButton = importBox.querySelector("[data-import-check]");
  const commitButton = importBox.querySelector("[data-import-commit]");
  const status = importBox.querySelector("[data-import-status]");
  const results = importBox.querySelector("[data-import-results]");
  const error = importBox.querySelector(".error");
  const isArchive = (f) => /\.(tar|tar\.gz|tgz)$/i.test(f.name);

  const reset = () => {
    commitButton.disabled = true;
    commitButton.textContent = "Import";
    results.replaceChildren();
    status.textContent = "";
    error.textContent = "";
  };
  input.addEventListener("change", reset);

  // A POSIX tar of plain files, each under its own name.
  async function tarOf(files) {
    const enc = new TextEncoder();
    const parts = [];
    for (const f of files) {
      const name = enc.encode(f.name);
      if (name.length > 99) throw new Error(`${f.name}: the name is too long for an import (99 bytes at most); rename it and its line in manifest.json`);
      const data = new Uint8Array(await f.arrayBuffer());
      const h = new Uint8Array(512);
      const put = (text, at) => h.set(enc.encode(text), at);
      const octal = (n, width) => n.toString(8).padStart(width - 1, "0") + "\0";
      h.set(name, 0);
      put("0000644\0", 100);
      put("0000000\0", 108);
      put("0000000\0", 116);
      put(octal(data.length, 12), 124);
      put(octal(Math.floor(f.lastModified / 1000), 12), 136);
      put("        ", 148);
      put("0", 156);
      put("ustar\0" + "00", 257);
      const sum = h.reduce((a, b) => a + b, 0);
      put(sum.toString(8).padStart(6, "0") + "\0 ", 148);
      parts.push(h, data, new Uint8Array((512 - (data.length % 512)) % 512));
    }
    parts.push(new Uint8Array(1024));
    return new Blob(parts, { type: "application/x-tar" });
  }

  async function upload() {
    const files = Array.from(input.files);
    if (files.length === 0) throw new Error("choose manifest.json and its images, or one archive, first");
    const archives = files.filter(isArchive);
    if (archives.length > 0 && files.length > 1) throw new Error("choose either one archive, or manifest.json and its images, not both");
    if (archives.length === 1) return archives[0];
    if (!files.some((f) => f.name === "manifest.json")) throw new Error("manifest.json is not among the chosen files");
    return tarOf(files);
  }

  function cell(row, text, cls) {
    const td = document.createElement("td");
    td.textContent = text;
    if (cls) td.className = cls;
    row.append(td);
    return td;
  }

  function render(data) {
    const out = [];
    if (data.problems.length > 0) {
      const h = document.createElement("h3");
      h.textContent = `${data.problems.length} problem(s): nothing was stored`;
      const ul = document.createElement("ul");
      ul.className = "problems";
      for (const p of data.problems) {
        const li = document.createElement("li");
        li.textContent = p;
        ul.append(li);
      }
      out.push(h, ul);
    }
    if (data.inclusions.length > 0) {
      const table = document.createElement("table");
      table.className = "import-check";
      table.innerHTML = "<thead><tr><th scope=col>Ref</th><th scope=col>Category</th><th scope=col>Image</th><th scope=col>File</th><th scope=col>Grade</th><th scope=col>Notes</th></tr></thead>";
      const body = document.createElement("tbody");
      for (const inc of data.inclusions) {
        for (const img of inc.images) {
          const tr = document.createElement("tr");
          if (img.problem) tr.className = "refused";
          const ref = document.createElement("th");
          ref.scope = "row";
          ref.textContent = inc.ref;
          tr.append(ref);
          cell(tr, inc.category.replace(/_/g, " ") + (inc.under_18 ? " (under 18)" : ""));
          const pic = cell(tr, "");
          if (img.thumbnail) {
            const el = document.createElement("img");
            el.src = img.thumbnail;
            el.alt = `${inc.ref}: ${img.file}`;
            el.className = "thumb";
            pic.append(el);
          }
          cell(tr, img.file);
          cell(tr, img.grade || "unreadable", "grade");
          cell(tr, [img.problem, ...img.reasons].filter(Boolean).join("; "), img.problem ? "error" : "");
          body.append(tr);
        }
      }
      table.append(body);
      out.push(table);
    }
    results.replaceChildren(...out);
  }

  async function send(check) {
    error.textContent = "";
    const body = await upload();
    status.textContent = check ? "Checking every image…" : "Importing…";
    const res = await fetch(importBox.dataset.import + (check ? "?check=true" : ""), {
      method: "POST",
      headers: { "content-type": body.type || "application/gzip" },
      body,
      credentials: "same-origin",
    });
    if (res.status === 401) { location.assign("/signin"); return; }
    const text = await res.text();
    let data;
    try { data = JSON.parse(text); } catch (_) { data = { message: text || res.statusText }; }
    status.textContent = "";
    if (!res.ok && !data.inclusions) {
      throw new Error(data.rule ? `Refused (${data.rule}): ${data.message}` : data.message);
    }
    render(data);
    // The problems are headed in the results; the line says what else happened.
    status.textContent = data.valid ? data.message : "";
    if (check && data.valid) {
      commitButton.disabled = false;
      commitButton.textContent = `Import ${data.inclusions.length} inclusion(s)`;
      commitButton.focus();
    } else if (!check && data.valid) {
      location.reload();
    }
  }

  for (const [button, check] of [[checkButton, true], [commitButton, false]]) {
    button.addEventListener("click", async () => {
      checkButton.disabled = true;
      commitButton.disabled = true;
      try {
        await send(check);
      } catch (e) {
        status.textContent = "";
        error.textContent = e.message;
      } finally {
        checkButton.disabled = false;
        if (check === false) commitButton.disabled = true;
      }
    });
  }
}
