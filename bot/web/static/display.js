// A room display: polls its own state every 2 seconds (counts change within that), and shows the PIN
// of the moment; a rotating PIN is fetched again as soon as it changes.
"use strict";
const $ = (id) => document.getElementById(id);
const POLL_MS = 2000;
let timer = null;
let shownLink = null;

function setText(id, value) {
  const text = value === null || value === undefined ? "—" : String(value);
  if ($(id).textContent !== text) $(id).textContent = text;
}

async function refresh() {
  clearTimeout(timer);
  let next = POLL_MS;
  try {
    const response = await fetch("state", { cache: "no-store" });
    if (response.status === 403) {
      document.body.innerHTML = "<h1 style='margin:2em'>This display link is no longer valid.</h1>";
      return;
    }
    const s = await response.json();
    setText("title", `${s.session_id} · ${s.title}`);
    setText("where", [s.room, s.when].filter(Boolean).join(" · "));
    setText("pin", s.pin || "no PIN");
    setText("rotation", s.rotates_every ? `A new PIN every ${s.rotates_every} s` : "");
    setText("inside", s.inside);
    setText("checked", s.checked_in);
    setText("capacity", s.capacity === null ? "no limit" : s.capacity);
    setText("window", s.window);
    if (s.check_in_link !== shownLink) {
      shownLink = s.check_in_link;
      $("qr-box").hidden = !shownLink;
      if (shownLink) $("qr").src = `qr.png?v=${encodeURIComponent(s.pin || "")}-${Date.now()}`;
    }
    if (s.next_change_in !== null && s.next_change_in !== undefined) {
      next = Math.min(next, Math.max(200, s.next_change_in * 1000 + 100));
    }
    $("stale").hidden = true;
    document.body.dataset.updated = String(Date.now());
  } catch (e) {
    $("stale").hidden = false;
  }
  timer = setTimeout(refresh, next);
}

refresh();
