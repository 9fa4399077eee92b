// A room display: the server pushes the state as it changes (server-sent events on "events");
// where a stream cannot stay open, the page polls "state" every 2 seconds instead.
// Its words come from the server (bot/web/page_texts.py), in the language of the page's link: the
// link's "?lang=" goes along to "events" and "state", whose times and sentences follow it.
"use strict";
const $ = (id) => document.getElementById(id);
const words = JSON.parse($("words").textContent);
const query = location.search;
const POLL_MS = 2000;
let shownLink = null;

function setText(id, value) {
  const text = value === null || value === undefined ? "—" : String(value);
  if ($(id).textContent !== text) $(id).textContent = text;
}

function refused() {
  const heading = document.createElement("h1");
  heading.style.margin = "2em";
  heading.textContent = words.no_longer_valid;
  document.body.replaceChildren(heading);
}

function apply(s) {
  setText("title", `${s.session_id} · ${s.title}`);
  setText("where", [s.room, s.when].filter(Boolean).join(" · "));
  setText("pin", s.pin || words.no_pin);
  setText("rotation", s.rotation || "");
  setText("inside", s.inside);
  setText("checked", s.checked_in);
  setText("capacity", s.capacity === null ? words.no_limit : s.capacity);
  setText("window", s.window);
  if (s.check_in_link !== shownLink) {
    shownLink = s.check_in_link;
    $("qr-box").hidden = !shownLink;
    if (shownLink) $("qr").src = `qr.png?v=${encodeURIComponent(s.pin || "")}-${Date.now()}`;
  }
  $("stale").hidden = true;
  document.body.dataset.updated = String(Date.now());
}

async function poll() {
  try {
    const response = await fetch(`state${query}`, { cache: "no-store" });
    if (response.status === 403) return refused();
    apply(await response.json());
  } catch (e) {
    $("stale").hidden = false;
  }
  setTimeout(poll, POLL_MS);
}

if (window.EventSource) {
  const events = new EventSource(`events${query}`);
  events.onmessage = (event) => apply(JSON.parse(event.data));
  events.addEventListener("refused", () => {
    events.close();
    refused();
  });
  events.onerror = () => {
    $("stale").hidden = false; // the browser reconnects by itself
  };
} else {
  poll();
}
