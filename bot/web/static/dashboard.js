// The organiser dashboard. The server pushes the first view as attendance changes (server-sent
// events on "events", at most once a second, like the room displays); where a stream cannot stay
// open, the page polls "data" every 5 seconds instead. Charts are inline SVG drawn here from the
// numbers in that JSON: no chart library, nothing from another site, and the server sends numbers,
// not pictures, to every dashboard open.
// Its words come from the server (bot/web/page_texts.py) in the language of the page's link, and
// so does every time shown (the event's zone, not the browser's): "?lang=" goes along to every request.
"use strict";
const $ = (id) => document.getElementById(id);
const words = JSON.parse($("words").textContent);
const query = location.search;
const also = query ? `&${query.slice(1)}` : "";
const SVG = "http://www.w3.org/2000/svg";
const POLL_MS = 5000;
const CHART_MS = 60000; // a session's chart (drawn on the server) is fetched again at most once a minute
let chosen = null;
let chartAt = 0;
let latest = null;

function say(key, values = {}) {
  return words[key].replace(/\{(\w+)\}/g, (whole, name) => (name in values ? String(values[name]) : whole));
}

function el(tag, className, text) {
  const node = document.createElement(tag);
  if (className) node.className = className;
  if (text !== undefined && text !== null) node.textContent = String(text);
  return node;
}

function svg(tag, attributes = {}) {
  const node = document.createElementNS(SVG, tag);
  for (const [name, value] of Object.entries(attributes)) node.setAttribute(name, String(value));
  return node;
}

function setText(id, value) {
  const text = value === null || value === undefined ? "–" : String(value);
  if ($(id).textContent !== text) $(id).textContent = text;
}

function refused() {
  const heading = el("h1", "gone", words.no_longer_valid);
  document.body.replaceChildren(heading);
}

function peakOf(values) {
  let peak = 0;
  values.forEach((v, i) => { if (v > values[peak]) peak = i; });
  return peak;
}

// ---------------------------------------------------------------- the day's chart

function dayChart(chart) {
  const box = $("day-chart");
  const width = Math.max(box.clientWidth, 280);
  const height = width < 600 ? 170 : 220;
  const pad = { left: 34, right: 38, top: 10, bottom: 24 };
  const n = chart.arrivals.length;
  const w = (width - pad.left - pad.right) / n;
  const maxA = Math.max(1, ...chart.arrivals);
  const maxI = Math.max(1, ...chart.inside);
  const yA = (v) => height - pad.bottom - (v / maxA) * (height - pad.top - pad.bottom);
  const yI = (v) => height - pad.bottom - (v / maxI) * (height - pad.top - pad.bottom);
  const total = chart.arrivals.reduce((a, b) => a + b, 0);
  const peak = peakOf(chart.arrivals);
  const insideNow = chart.now >= 0 ? chart.inside[chart.now] : 0;
  const alt = say("day_chart_alt", { arrivals: total, peak: chart.arrivals[peak], time: chart.labels[peak], inside: insideNow });
  const root = svg("svg", { viewBox: `0 0 ${width} ${height}`, width, height, role: "img", "aria-labelledby": "day-alt" });
  for (const fraction of [0, 0.5, 1]) {
    const y = yA(maxA * fraction);
    root.append(svg("line", { x1: pad.left, x2: width - pad.right, y1: y, y2: y, class: "grid" }));
    const left = svg("text", { x: pad.left - 4, y: y + 4, class: "axis", "text-anchor": "end" });
    left.textContent = String(Math.round(maxA * fraction));
    const right = svg("text", { x: width - pad.right + 4, y: y + 4, class: "axis inside" });
    right.textContent = String(Math.round(maxI * fraction));
    root.append(left, right);
  }
  chart.arrivals.forEach((v, i) => {
    if (!v) return;
    root.append(svg("rect", { x: pad.left + i * w + w * 0.1, y: yA(v), width: Math.max(w * 0.8, 1), height: yA(0) - yA(v), class: "bar" }));
  });
  const last = chart.now < 0 ? -1 : Math.min(chart.now, n - 1);
  if (last >= 0) {
    let d = "";
    for (let i = 0; i <= last; i++) d += `${i ? "L" : "M"}${pad.left + i * w} ${yI(chart.inside[i])}H${pad.left + (i + 1) * w}`;
    root.append(svg("path", { d, class: "insideline" }));
    const x = pad.left + (last + 1) * w;
    root.append(svg("line", { x1: x, x2: x, y1: pad.top, y2: height - pad.bottom, class: "now" }));
  }
  const every = Math.max(1, Math.ceil(chart.hours.length / Math.max(2, Math.floor(width / 70))));
  chart.hours.forEach((i, k) => {
    if (k % every) return;
    const label = svg("text", { x: pad.left + i * w, y: height - 6, class: "axis", "text-anchor": "middle" });
    label.textContent = chart.labels[i];
    root.append(svg("line", { x1: pad.left + i * w, x2: pad.left + i * w, y1: height - pad.bottom, y2: height - pad.bottom + 4, class: "tick" }));
    root.append(label);
  });
  box.replaceChildren(root);
  setText("day-alt", alt);
}

function sparkline(values, now) {
  const width = 120;
  const height = 26;
  const max = Math.max(1, ...values);
  const w = width / values.length;
  const total = values.reduce((a, b) => a + b, 0);
  const label = say("spark_alt", { arrivals: total, peak: values[peakOf(values)] });
  const root = svg("svg", { viewBox: `0 0 ${width} ${height}`, width, height, role: "img", "aria-label": label, class: "spark" });
  const title = svg("title");
  title.textContent = label;
  root.append(title, svg("line", { x1: 0, x2: width, y1: height - 0.5, y2: height - 0.5, class: "base" }));
  values.forEach((v, i) => {
    if (v) root.append(svg("rect", { x: i * w, y: height - 1 - (v / max) * (height - 2), width: Math.max(w - 0.6, 0.8), height: (v / max) * (height - 2), class: "bar" }));
  });
  if (now >= 0 && now < values.length) root.append(svg("line", { x1: (now + 1) * w, x2: (now + 1) * w, y1: 0, y2: height, class: "now" }));
  return root;
}

// ---------------------------------------------------------------- the first view

function fill(s) {
  const box = el("span", "fill");
  if (s.status === "closed") {
    box.append(el("span", "fill-text muted", "–")); // ended: nobody counts as inside any more
    return box;
  }
  if (s.capacity === null) {
    box.append(el("span", "fill-text", say("inside_no_limit", { inside: s.inside })));
    return box;
  }
  const share = s.capacity ? Math.min(1, s.inside / s.capacity) : 1;
  const bar = el("span", "bar");
  const level = el("span", share >= 1 ? "level full" : share >= 0.9 ? "level high" : "level");
  level.style.width = `${Math.round(share * 100)}%`;
  bar.append(level);
  bar.setAttribute("role", "img");
  bar.setAttribute("aria-label", say("fill_alt", { inside: s.inside, capacity: s.capacity }));
  box.append(bar, el("span", "fill-text", `${s.inside} / ${s.capacity}`));
  return box;
}

function sessionRow(s) {
  const item = el("li");
  const row = el("button", `srow${s.id === chosen ? " chosen" : ""}`);
  row.type = "button";
  row.dataset.session = s.id;
  const name = el("span", "name");
  const title = el("b", null, `${s.id} · `);
  title.append(el("bdi", null, s.title));
  name.append(title, el("small", null, [s.room, s.when].filter(Boolean).join(" · ")));
  // No-break spaces: on a phone the label may wrap, the numbers stay together.
  const showup = s.expected ? `${s.expected_arrived}\u00a0/\u00a0${s.expected}${s.showup === null ? "" : `\u00a0·\u00a0${s.showup}\u00a0%`}` : "–";
  row.append(
    name,
    el("span", `status ${s.status}`, words[`status_${s.status}`]),
    fill(s),
    el("span", "num showup", showup),
    el("span", "num noshows", s.no_shows === null ? "–" : s.no_shows),
    sparkline(s.spark, s.spark_now),
  );
  row.querySelector(".showup").title = words.showup_column;
  row.querySelector(".noshows").title = words.no_shows;
  row.addEventListener("click", () => openSession(s.id));
  item.append(row);
  return item;
}

// The session rows shown, by id. A push from the stream carries only the rows that changed and,
// when the sessions themselves changed, "order": every session's id, in order (the first push of a
// stream, and every "data" answer, carry them all).
const rows = new Map();

function placeSessions(data) {
  for (const s of data.sessions) {
    const item = sessionRow(s);
    const old = rows.get(s.id);
    rows.set(s.id, item);
    if (old && !data.order) old.replaceWith(item);
  }
  if (data.order) {
    const kept = new Set(data.order);
    for (const id of [...rows.keys()]) if (!kept.has(id)) rows.delete(id);
    $("sessions").replaceChildren(...data.order.map((id) => rows.get(id)).filter(Boolean));
  }
}

function apply(data) {
  latest = data;
  const t = data.totals;
  setText("day", data.day);
  setText("updated", say("updated", { time: data.updated }));
  setText("t-people", t.people);
  setText("t-showup", t.showup === null ? "–" : `${t.showup}\u00a0%`);
  setText("t-showup-of", say("showup_of", { arrived: t.expected_arrived, expected: t.expected }));
  setText("t-inside", t.inside);
  setText("t-recent", say("recent", { checkins: t.checkins_15, refusals: t.refusals_15 }));
  setText("t-reasons", t.reasons_15.map((r) => `${reason(r.reason)}: ${r.count}`).join(" · "));
  dayChart(data.chart);
  placeSessions(data);
  const rows = data.refusals.map((r) => tableRow([r.at, r.session, r.who, r.method, reason(r.reason)], [2]));
  $("refusals").tBodies[0].replaceChildren(...rows);
  document.body.dataset.updated = String(Date.now());
  if (chosen) loadSession(false);
}

// A table row; the first cell is a time of day (never broken), `names` are the indexes of people's names.
function tableRow(values, names = []) {
  const row = el("tr");
  values.forEach((value, i) => {
    const cell = el("td", i === 0 && values.length > 1 ? "at" : null);
    if (names.includes(i) && value) cell.append(el("bdi", null, value));
    else cell.textContent = value === null || value === undefined ? "—" : String(value);
    row.append(cell);
  });
  return row;
}

// A refusal's reason: a few words in the page's language (the reports keep the codes).
const reason = (code) => words.reasons[code] || code.replaceAll("_", " ");

// "Name · id · more": the name isolated, so a right-to-left name keeps the line in order.
function personLine(name, ...rest) {
  const line = el("li");
  line.append(el("bdi", null, name), ` · ${rest.filter(Boolean).join(" · ")}`);
  return line;
}

// ---------------------------------------------------------------- one session

function people(id, list, line) {
  $(id).replaceChildren(...(list.length ? list.map(line) : [el("li", "muted", words.nobody)]));
}

async function loadSession(withChart) {
  const id = chosen;
  const response = await fetch(`session/${encodeURIComponent(id)}${query}`, { cache: "no-store" });
  if (response.status === 403) return refused();
  if (!response.ok || id !== chosen) return;
  const s = await response.json();
  setText("detail-title", `${s.id} · ${s.title}`);
  $("chart").alt = say("chart_title", { session: `${s.id} · ${s.title}` });
  setText("detail-when", [s.room, s.when, words[`status_${s.status}`]].filter(Boolean).join(" · "));
  setText("inside-heading", s.status === "closed" ? words.inside_list_closed : words.inside_list);
  setText("inside-count", `(${s.inside.length})`);
  people("inside-list", s.inside, (p) => personLine(p.name, p.id, say("since", { time: p.since })));
  setText("noshow-count", `(${s.no_shows.length})`);
  people("noshow-list", s.no_shows, (p) => personLine(p.name, p.id, p.registered ? words.registered : words.targeted));
  const refusals = s.refusals.map((r) => tableRow([r.at, r.who || r.id, r.method, reason(r.reason)], [1]));
  $("detail-refusals").tBodies[0].replaceChildren(...refusals);
  if (withChart || Date.now() - chartAt > CHART_MS) {
    chartAt = Date.now();
    $("chart").src = `chart/${encodeURIComponent(id)}.svg?t=${chartAt}${also}`;
  }
}

function openSession(id) {
  chosen = id;
  $("detail").hidden = false;
  $("download-noshows").href = `noshows/${encodeURIComponent(id)}.csv${query}`;
  for (const row of document.querySelectorAll(".srow")) row.classList.toggle("chosen", row.dataset.session === id);
  loadSession(true).catch(() => setText("updated", words.connection_lost));
  if (window.innerWidth < 1100) $("detail").scrollIntoView({ behavior: "smooth" });
}

$("detail-close").addEventListener("click", () => {
  chosen = null;
  $("detail").hidden = true;
  for (const row of document.querySelectorAll(".srow.chosen")) row.classList.remove("chosen");
});

// ---------------------------------------------------------------- one person's day

async function findPerson(text) {
  const box = $("person");
  if (!text.trim()) return;
  const response = await fetch(`person?q=${encodeURIComponent(text.trim())}${also}`, { cache: "no-store" });
  if (response.status === 403) return refused();
  const p = await response.json();
  if (p.found === "none" || p.error) {
    box.replaceChildren(el("p", "muted", words.search_none));
  } else if (p.found === "many") {
    const list = el("ul", "choices");
    for (const c of p.candidates) {
      const choice = el("button", "link");
      choice.append(el("bdi", null, c.name), ` · ${c.id}`);
      choice.type = "button";
      choice.addEventListener("click", () => { $("search").value = c.id; findPerson(c.id); });
      const item = el("li");
      item.append(choice);
      list.append(item);
    }
    box.replaceChildren(el("p", null, words.search_many), list);
  } else {
    box.replaceChildren(...personDay(p));
  }
  box.dataset.shown = text;
}

function personDay(p) {
  const heading = el("h3", "person-name");
  heading.append(el("bdi", null, p.name), ` · ${p.id}${p.walk_in ? ` · ${words.walk_in}` : ""}`);
  const parts = [heading];
  const facts = [p.email, p.groups.length ? say("groups", { groups: p.groups.join(", ") }) : "", p.telegram ? words.telegram_linked : words.telegram_not];
  parts.push(el("p", "muted", facts.filter(Boolean).join(" · ")));
  parts.push(el("h4", null, `${words.registered_sessions} (${p.registered.length})`));
  const registered = el("ul", "people");
  for (const s of p.registered) registered.append(el("li", null, `${s.id} · ${s.title} · ${s.when}`));
  if (!p.registered.length) registered.append(el("li", "muted", words.none));
  parts.push(registered, el("h4", null, `${words.visits} (${p.visits.length})`));
  const table = el("table", "visits");
  for (const v of p.visits) {
    const span = `${v.from} → ${v.to || "…"}`;
    const row = tableRow([`${v.session} · ${v.title}`, span, v.ended_text]);
    row.firstChild.className = "";
    row.dataset.ended = v.ended;
    table.append(row);
  }
  if (!p.visits.length) table.append(tableRow([words.none]));
  parts.push(table);
  return parts;
}

$("search-form").addEventListener("submit", (event) => {
  event.preventDefault();
  findPerson($("search").value).catch(() => setText("updated", words.connection_lost));
});

// ---------------------------------------------------------------- live

async function poll() {
  try {
    const response = await fetch(`data${query}`, { cache: "no-store" });
    if (response.status === 403) return refused();
    apply(await response.json());
  } catch (e) {
    setText("updated", words.connection_lost);
  }
  setTimeout(poll, POLL_MS);
}

let resizing = null;
window.addEventListener("resize", () => {
  clearTimeout(resizing);
  resizing = setTimeout(() => latest && dayChart(latest.chart), 150);
});

if (window.EventSource) {
  const events = new EventSource(`events${query}`);
  events.onmessage = (event) => apply(JSON.parse(event.data));
  events.addEventListener("refused", () => {
    events.close();
    refused();
  });
  events.onerror = () => {
    setText("updated", words.connection_lost); // the browser reconnects by itself
    if (events.readyState === EventSource.CLOSED) poll(); // refused (403) or gone for good: poll instead
  };
} else {
  poll();
}
