// The organiser dashboard: live counts every 5 seconds; a click on a session shows its chart.
// Its words come from the server (bot/web/page_texts.py), in the language of the page's link: the
// link's "?lang=" goes along to "data", the charts and the reports.
"use strict";
const $ = (id) => document.getElementById(id);
const words = JSON.parse($("words").textContent);
const lang = new URLSearchParams(location.search).get("lang");
const also = lang ? `&lang=${encodeURIComponent(lang)}` : "";

function say(key, values = {}) {
  return words[key].replace(/\{(\w+)\}/g, (whole, name) => (name in values ? String(values[name]) : whole));
}
let chosen = null;

function cell(row, text, className) {
  const td = document.createElement("td");
  td.textContent = text === null || text === undefined ? "—" : String(text);
  if (className) td.className = className;
  row.append(td);
}

function showChart(id, title) {
  chosen = id;
  $("chart-box").hidden = false;
  $("chart-title").textContent = say("chart_title", { session: `${id} · ${title}` });
  $("chart").src = `chart/${encodeURIComponent(id)}.svg?t=${Date.now()}${also}`;
}

async function refresh() {
  try {
    const response = await fetch(`data${location.search}`, { cache: "no-store" });
    if (response.status === 403) {
      const heading = document.createElement("h1");
      heading.style.margin = "2em";
      heading.textContent = words.no_longer_valid;
      document.body.replaceChildren(heading);
      return;
    }
    const data = await response.json();
    const sessions = $("sessions").tBodies[0];
    sessions.replaceChildren();
    for (const s of data.sessions) {
      const row = document.createElement("tr");
      row.dataset.session = s.id;
      if (s.id === chosen) row.className = "chosen";
      cell(row, `${s.id} · ${s.title}`);
      cell(row, s.when);
      cell(row, s.room);
      cell(row, s.checked_in, "n");
      cell(row, s.inside, s.capacity !== null && s.inside >= s.capacity ? "n full" : "n");
      cell(row, s.capacity, "n");
      row.addEventListener("click", () => showChart(s.id, s.title));
      sessions.append(row);
    }
    const refusals = $("refusals").tBodies[0];
    refusals.replaceChildren();
    for (const r of data.refusals) {
      const row = document.createElement("tr");
      for (const value of [r.at, r.session, r.who, r.method, r.reason]) cell(row, value);
      refusals.append(row);
    }
    if (chosen) $("chart").src = `chart/${encodeURIComponent(chosen)}.svg?t=${Date.now()}${also}`;
    // Every time on the page comes from the server, in the event's zone, not the browser's.
    $("updated").textContent = say("updated", { time: data.updated });
  } catch (e) {
    $("updated").textContent = words.connection_lost;
  }
  setTimeout(refresh, 5000);
}

refresh();
