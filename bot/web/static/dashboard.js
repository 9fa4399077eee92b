// The organiser dashboard: live counts every 5 seconds; a click on a session shows its chart.
"use strict";
const $ = (id) => document.getElementById(id);
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
  $("chart-title").textContent = `${id} · ${title}: arrivals per 5 minutes and people inside`;
  $("chart").src = `chart/${encodeURIComponent(id)}.svg?t=${Date.now()}`;
}

async function refresh() {
  try {
    const response = await fetch("data", { cache: "no-store" });
    if (response.status === 403) {
      document.body.innerHTML = "<h1 style='margin:2em'>This dashboard link is no longer valid.</h1>";
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
    if (chosen) $("chart").src = `chart/${encodeURIComponent(chosen)}.svg?t=${Date.now()}`;
    $("updated").textContent = `updated ${new Date().toLocaleTimeString()}`;
  } catch (e) {
    $("updated").textContent = "connection lost: retrying";
  }
  setTimeout(refresh, 5000);
}

refresh();
