// The door scanner Mini App: pick a session, keep Telegram's QR scanner open, show GREEN / RED.
//
// Every request carries Telegram's initData, which the server verifies; the page itself decides
// nothing. Scans go out one at a time, in order, from a queue kept in localStorage: when the phone
// loses its connection the queue waits (and survives a reload), and each scan is judged at the time
// it was read. A retried request carries the same scan id, so the server counts it once.
//
// Every word the page shows comes from the server (bot/web/page_texts.py): the page is rendered in
// the language of its link, and the first answer ("sessions") brings the words of the viewer's own
// Telegram language, with which the page relabels itself.
"use strict";

const tg = window.Telegram && window.Telegram.WebApp;
const PAUSE_MS = 1500; // after a verdict, so one badge held up to the camera is not judged twice
const SAME_CODE_MS = 4000;
const QUEUE_KEY = "door-scanner-queue";
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
}

let session = null;
let lastCode = "";
let lastCodeAt = 0;
let pausedUntil = 0;
let sending = false;
let shown = null; // the verdict on the card

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
  openScanner();
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

function enqueue(code, typed) {
  const items = queue();
  items.push({ session_id: session.id, code: code.slice(0, 512), typed, scan_id: newScanId(), scanned_at: Date.now() });
  saveQueue(items);
  sendQueue();
}

async function sendQueue() {
  if (sending) return;
  sending = true;
  try {
    let items = queue();
    while (items.length) {
      let answer;
      try {
        answer = await api("scan", items[0]);
      } catch (e) {
        setOffline(true);
        return; // sent again when the connection is back
      }
      if (answer.status === 429 || answer.status >= 500) {
        setTimeout(sendQueue, 1000);
        return;
      }
      setOffline(false);
      items = queue().slice(1);
      saveQueue(items);
      if (answer.status === 200) verdict(answer.data);
      else refused(answer.data.message);
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
  card.className = `card ${v ? v.colour : "idle"}`;
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
  if (answer.status === 200) verdict(answer.data);
  else refused(answer.data.message);
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
});
setInterval(() => {
  if (queue().length) sendQueue();
}, 3000);

// ---------------------------------------------------------------- start

$("scan").addEventListener("click", openScanner);
$("back").addEventListener("click", () => {
  if (tg.closeScanQrPopup) tg.closeScanQrPopup();
  loadSessions();
});
$("admit").addEventListener("click", () => act("override"));
$("undo").addEventListener("click", () => act("undo"));
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
  loadSessions();
  sendQueue();
}
