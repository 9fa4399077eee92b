// The door scanner Mini App: pick a session, keep Telegram's QR scanner open, show GREEN / RED.
//
// Every request carries Telegram's initData, which the server verifies; the page itself decides
// nothing. Scans go out one at a time, in order, from a queue kept in localStorage: when the phone
// loses its connection the queue waits (and survives a reload), and each scan is judged at the time
// it was read. A retried request carries the same scan id, so the server counts it once.
//
// While online the page keeps the door roster of its session (bot/services/roster.py), refreshed every
// minute and kept in localStorage. Offline, each scan is judged on the phone against it with the
// engine's rules (door_rules.js) and shown as a provisional card, plainly marked; when the connection is
// back the queue is sent in order, the server's verdict is final, and where it differs from what the
// phone showed (the person came in at another door meanwhile, a badge was revoked) the scanner sees a
// list of the differences until they tap OK.
//
// Every word the page shows comes from the server (bot/web/page_texts.py): the page is rendered in
// the language of its link, and the first answer ("sessions") brings the words of the viewer's own
// Telegram language, with which the page relabels itself.
"use strict";

const tg = window.Telegram && window.Telegram.WebApp;
const PAUSE_MS = 1500; // after a verdict, so one badge held up to the camera is not judged twice
const SAME_CODE_MS = 4000;
const QUEUE_KEY = "door-scanner-queue";
const ROSTER_KEY = "door-scanner-roster";
const DIFFERENCES_KEY = "door-scanner-differences";
const ROSTER_EVERY_MS = 60000;
const $ = (id) => document.getElementById(id);
let words = JSON.parse($("words").textContent);

// A sentence with {placeholders} filled in.
function say(key, values = {}) {
  return words[key].replace(/\{(\w+)\}/g, (whole, name) => (name in values ? String(values[name]) : whole));
}

// A sentence with a count: one form per plural category of the page's language.
function sayCount(key, count) {
  const forms = words[key];
  const form = forms[new Intl.PluralRules(document.documentElement.lang).select(count)] || forms.other;
  return form.replace("{count}", String(count));
}

function useWords(lang, newWords) {
  if (!newWords || lang === document.documentElement.lang) return;
  words = newWords;
  document.documentElement.lang = lang;
  document.title = words.title;
  for (const element of document.querySelectorAll("[data-word]")) element.textContent = words[element.dataset.word];
  for (const element of document.querySelectorAll("[data-word-placeholder]")) {
    element.placeholder = words[element.dataset.wordPlaceholder];
  }
  if (!shown) $("headline").textContent = words.ready;
  updateOffline();
  showDifferences();
}

let session = null;
let lastCode = "";
let lastCodeAt = 0;
let pausedUntil = 0;
let sending = false;
let shown = null; // the verdict on the card
let roster = null; // the door roster of `session` (DoorRules.indexRoster), or null
const started = new Map(); // scan id -> performance.now() when the code was read (for the timings)

function show(id) {
  for (const view of ["choose", "scanning", "problem"]) $(view).hidden = view !== id;
}

function fail(message) {
  $("problem-text").textContent = message;
  show("problem");
}

async function api(action, body) {
  const response = await fetch(`../../api/scanner/${action}`, { // relative: PUBLIC_URL may have a path
    method: "POST",
    headers: { "Content-Type": "application/json" },
    body: JSON.stringify({ initData: tg.initData, ...body }),
  });
  let data = {};
  try {
    data = await response.json();
  } catch (e) {
    data = { message: say("unreadable") };
  }
  return { status: response.status, data };
}

// ---------------------------------------------------------------- sessions

async function loadSessions() {
  let answer;
  try {
    answer = await api("sessions", {});
  } catch (e) {
    fail(say("no_connection"));
    return;
  }
  if (answer.status !== 200) {
    fail(answer.data.message || say("cannot_start"));
    return;
  }
  useWords(answer.data.lang, answer.data.words);
  $("hello").textContent = say("hello", { name: answer.data.scanner });
  const list = $("sessions");
  list.replaceChildren();
  for (const s of answer.data.sessions) {
    const item = document.createElement("li");
    const button = document.createElement("button");
    const id = document.createElement("span");
    id.className = "id";
    id.textContent = `${s.id} · `;
    const when = document.createElement("span");
    when.className = "when";
    when.textContent = [s.when, s.room].filter(Boolean).join(" · ");
    button.append(id, document.createTextNode(s.title), when);
    button.addEventListener("click", () => startSession(s));
    item.append(button);
    list.append(item);
  }
  if (!answer.data.sessions.length) $("hello").textContent = say("no_sessions");
  show("choose");
}

function startSession(s) {
  session = s;
  $("current").textContent = `${s.id} · ${s.title}`;
  setCard(null);
  show("scanning");
  roster = storedRoster(s.id);
  refreshRoster();
  openScanner();
}

// ---------------------------------------------------------------- the door roster

function storedRoster(sessionId) {
  try {
    const data = JSON.parse(localStorage.getItem(ROSTER_KEY) || "null");
    return data && data.session === sessionId ? DoorRules.indexRoster(data) : null;
  } catch (e) {
    return null;
  }
}

async function refreshRoster() {
  if (!session) return;
  const asked = session.id;
  const have = roster ? roster.data.version : undefined;
  let answer;
  try {
    answer = await api("roster", { session_id: asked, have });
  } catch (e) {
    return; // offline: the roster kept on the phone serves
  }
  if (!session || session.id !== asked) return;
  if (answer.status === 401 || answer.status === 403 || answer.status === 404) {
    localStorage.removeItem(ROSTER_KEY); // no longer this scanner's door: nothing to judge with
    roster = null;
    return;
  }
  if (answer.status !== 200) return;
  const data = answer.data;
  if (data.unchanged) {
    if (!roster || roster.data.version !== data.version) return;
    data.people = roster.data.people;
    data.revoked = roster.data.revoked;
  }
  delete data.unchanged;
  try {
    localStorage.setItem(ROSTER_KEY, JSON.stringify(data));
  } catch (e) {
    // The phone's storage is full: the roster still serves until the page closes.
  }
  roster = DoorRules.indexRoster(data);
}

// The phone's accepted provisional scans still waiting to be sent: the roster does not count them yet.
function pendingAccepted(items) {
  return items
    .filter((item) => item.provisional && item.provisional.reason === "ok" && item.session_id === session.id)
    .map((item) => ({ attendee_id: item.provisional.attendee_id, at: item.scanned_at }));
}

// Judge, on the phone, the waiting scans not judged yet (read while offline, or sent and failed).
function judgeWaiting() {
  if (!roster || !session) return;
  const items = queue();
  let last = null;
  for (let i = 0; i < items.length; i++) {
    const item = items[i];
    if (item.provisional !== undefined || item.session_id !== roster.data.session) continue;
    let judged;
    try {
      judged = DoorRules.judgeScan(roster, item.code, item.typed, item.scanned_at, pendingAccepted(items.slice(0, i)));
    } catch (e) {
      item.provisional = null; // a roster the page cannot read: the scan is only queued, as without one
      continue;
    }
    item.provisional = {
      reason: judged.verdict.reason,
      attendee_id: judged.person ? judged.person.id : null,
      name: judged.person ? judged.person.name : null,
      earlier_at: judged.verdict.earlier_at || null,
      window_at: judged.verdict.window_at || null,
      inside: judged.inside,
    };
    last = item;
  }
  saveQueue(items);
  if (last) provisionalCard(last);
}

function colourOf(reason) {
  return reason === "ok" ? "green" : reason === "already_checked_in" ? "yellow" : "red";
}

function timeOfDay(ms) {
  return new Intl.DateTimeFormat(document.documentElement.lang, {
    timeZone: roster ? roster.data.timezone : undefined,
    hour: "2-digit",
    minute: "2-digit",
    hourCycle: "h23",
  }).format(new Date(ms));
}

function headlineFor(p) {
  if (p.reason === "already_checked_in" && p.earlier_at) return say("already_since", { earlier: timeOfDay(p.earlier_at) });
  return words.verdicts[p.reason].replace("{window_at}", p.window_at ? timeOfDay(p.window_at) : "");
}

function provisionalCard(item) {
  const p = item.provisional;
  verdict({
    colour: colourOf(p.reason),
    headline: headlineFor(p),
    name: p.name,
    attendee_id: p.attendee_id,
    access_control: roster.data.access_control,
    registered: p.name ? roster.byId.get(p.attendee_id.toUpperCase()).registered : null,
    targeted: p.name ? roster.byId.get(p.attendee_id.toUpperCase()).targeted : null,
    inside: p.inside,
    capacity: roster.data.capacity,
    provisional: timeOfDay(roster.data.refreshed_at),
  });
  measure(item.scan_id, "offline-verdict");
}

// A verdict from the server brings the roster up to date until its next refresh.
function applyToRoster(v) {
  if (!roster || v.session !== roster.data.session || !v.attendee_id) return;
  const key = v.attendee_id.toUpperCase();
  if (v.colour === "green" || v.colour === "yellow") {
    const since = v.earlier_at ? Date.parse(v.earlier_at) : Date.now();
    if (!roster.inside.has(key)) roster.inside.set(key, since);
  } else if (v.colour === "neutral") {
    roster.inside.delete(key); // undone
  }
  if (typeof v.inside === "number") roster.count = v.inside;
}

// How long from the code read to its card (bench/miniapp.py reads these); never in the way of a verdict.
function measure(scanId, name) {
  const start = started.get(scanId);
  if (start === undefined) return;
  started.delete(scanId);
  try {
    performance.measure(name, { start, end: performance.now() });
  } catch (e) {
    // An older web view without User Timing Level 3: no timing, the card is shown all the same.
  }
}

// ---------------------------------------------------------------- differences

function differences() {
  try {
    return JSON.parse(localStorage.getItem(DIFFERENCES_KEY) || "[]");
  } catch (e) {
    return [];
  }
}

function noteDifference(item, server) {
  const list = differences();
  const p = item.provisional;
  const name = server.name || p.name;
  const id = server.attendee_id || p.attendee_id;
  list.push({
    at: item.scanned_at,
    who: name ? `${name} (${id})` : item.code.slice(0, 40),
    phone: headlineFor(p),
    phone_colour: colourOf(p.reason),
    server: server.headline,
    server_colour: server.colour,
  });
  try {
    localStorage.setItem(DIFFERENCES_KEY, JSON.stringify(list));
  } catch (e) {
    return; // the phone's storage is full: this difference is not kept, the scan's verdict still shows
  }
  showDifferences();
}

function showDifferences() {
  const list = differences();
  const box = $("differences");
  box.hidden = !list.length;
  const rows = $("difference-list");
  rows.replaceChildren();
  for (const d of list) {
    const row = document.createElement("li");
    row.className = `difference ${d.server_colour}`;
    row.textContent = say("difference", { time: timeOfDay(d.at), who: d.who, phone: d.phone, server: d.server });
    rows.append(row);
  }
}

// ---------------------------------------------------------------- scanning

function openScanner() {
  if (!tg.showScanQrPopup) return;
  try {
    tg.showScanQrPopup({ text: say("popup", { session: session.id }) }, onCode);
  } catch (e) {
    // Telegram refuses a second popup while one is open: nothing to do.
  }
}

function onCode(text) {
  const now = Date.now();
  if (now < pausedUntil) return false;
  if (text === lastCode && now - lastCodeAt < SAME_CODE_MS) return false;
  lastCode = text;
  lastCodeAt = now;
  pausedUntil = now + PAUSE_MS;
  enqueue(text, false);
  return false; // keep the camera open for the next badge
}

function newScanId() {
  const bytes = new Uint8Array(12);
  crypto.getRandomValues(bytes);
  return Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("");
}

function queue() {
  try {
    return JSON.parse(localStorage.getItem(QUEUE_KEY) || "[]");
  } catch (e) {
    return [];
  }
}

function saveQueue(items) {
  localStorage.setItem(QUEUE_KEY, JSON.stringify(items));
  updateOffline();
}

function isOffline() {
  return $("offline").dataset.offline === "yes" || !navigator.onLine;
}

function enqueue(code, typed) {
  const at = performance.now();
  const items = queue();
  const scanId = newScanId();
  started.set(scanId, at);
  items.push({ session_id: session.id, code: code.slice(0, 512), typed, scan_id: scanId, scanned_at: Date.now() });
  saveQueue(items);
  if (isOffline()) judgeWaiting();
  sendQueue();
}

// What the server is sent: the scan, not what the phone thought of it.
function scanRequest(item) {
  return { session_id: item.session_id, code: item.code, typed: item.typed, scan_id: item.scan_id, scanned_at: item.scanned_at };
}

async function sendQueue() {
  if (sending) return;
  sending = true;
  try {
    let items = queue();
    while (items.length) {
      let answer;
      const item = items[0];
      try {
        answer = await api("scan", scanRequest(item));
      } catch (e) {
        setOffline(true);
        judgeWaiting();
        return; // sent again when the connection is back
      }
      if (answer.status === 429 || answer.status >= 500) {
        setTimeout(sendQueue, 1000);
        return;
      }
      setOffline(false);
      items = queue().slice(1);
      saveQueue(items);
      const final = answer.status === 200 ? answer.data : { colour: "red", headline: answer.data.message || say("refused") };
      if (item.provisional && (answer.status !== 200 || item.provisional.reason !== answer.data.reason)) {
        noteDifference(item, final);
      }
      if (answer.status === 200) {
        applyToRoster(answer.data);
        verdict(answer.data);
        measure(item.scan_id, "online-verdict");
      } else {
        started.delete(item.scan_id);
        refused(answer.data.message);
      }
      if (!items.length && item.provisional !== undefined) refreshRoster(); // back online: catch up at once
    }
  } finally {
    sending = false;
  }
}

function verdict(v) {
  setCard(v);
  const haptic = { green: "success", red: "error", yellow: "warning" }[v.colour];
  if (haptic && tg.HapticFeedback) tg.HapticFeedback.notificationOccurred(haptic);
}

function refused(message) {
  setCard({ colour: "red", headline: message || say("refused") });
  if (tg.HapticFeedback) tg.HapticFeedback.notificationOccurred("error");
}

function setCard(v) {
  shown = v;
  const card = $("card");
  card.className = `card ${v ? v.colour : "idle"}${v && v.provisional ? " provisional" : ""}`;
  $("provisional").hidden = !(v && v.provisional);
  $("provisional").textContent = v && v.provisional ? say("provisional", { time: v.provisional }) : "";
  $("headline").textContent = v ? v.headline : say("ready");
  $("who").textContent = v && v.name ? `${v.name} (${v.attendee_id})` : "";
  const facts = [];
  // Registered / targeted only where access control decides who comes in; elsewhere they would only alarm.
  if (v && v.access_control && v.registered !== undefined && v.registered !== null) {
    facts.push(say(v.registered ? "registered_yes" : "registered_no"), say(v.targeted ? "targeted_yes" : "targeted_no"));
  }
  $("facts").textContent = facts.join(" · ");
  let count = "";
  if (v && v.inside !== undefined && v.inside !== null) {
    count =
      v.capacity === null || v.capacity === undefined
        ? say("inside", { inside: v.inside })
        : say("inside_of", { inside: v.inside, capacity: v.capacity });
  }
  $("count").textContent = count;
  $("admit").hidden = !(v && v.overridable);
  $("undo").hidden = !(v && v.undo_until && new Date(v.undo_until) > new Date());
}

async function act(action) {
  if (!shown || !shown.log_id) return;
  let answer;
  try {
    answer = await api(action, { log_id: shown.log_id });
  } catch (e) {
    setOffline(true);
    return;
  }
  if (answer.status === 200) {
    applyToRoster(answer.data);
    verdict(answer.data);
  } else {
    refused(answer.data.message);
  }
}

// ---------------------------------------------------------------- connection

function setOffline(offline) {
  $("offline").dataset.offline = offline ? "yes" : "";
  updateOffline();
}

function updateOffline() {
  const offline = $("offline").dataset.offline === "yes" || !navigator.onLine;
  const waiting = queue().length;
  $("offline").hidden = !offline;
  $("offline").textContent = sayCount("offline", waiting);
}

window.addEventListener("offline", () => setOffline(true));
window.addEventListener("online", () => {
  setOffline(false);
  sendQueue();
  refreshRoster();
});
setInterval(() => {
  if (queue().length) sendQueue();
}, 3000);
setInterval(() => {
  if (session && !isOffline()) refreshRoster();
}, ROSTER_EVERY_MS);

// ---------------------------------------------------------------- start

$("scan").addEventListener("click", openScanner);
$("back").addEventListener("click", () => {
  if (tg.closeScanQrPopup) tg.closeScanQrPopup();
  loadSessions();
});
$("admit").addEventListener("click", () => act("override"));
$("undo").addEventListener("click", () => act("undo"));
$("differences-ok").addEventListener("click", () => {
  localStorage.removeItem(DIFFERENCES_KEY);
  showDifferences();
});
$("typed").addEventListener("submit", (event) => {
  event.preventDefault();
  const code = $("code").value.trim();
  if (!code || !session) return;
  $("code").value = "";
  enqueue(code, true);
});

if (!tg || !tg.initData) {
  fail(say("open_from_telegram"));
} else {
  tg.ready();
  tg.expand();
  updateOffline();
  showDifferences();
  loadSessions();
  sendQueue();
}
