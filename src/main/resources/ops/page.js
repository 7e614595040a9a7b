// odecast live page: lists the streams, shows the selected one's latest pictures and reloads what changed when the
// server sends an event (one per record it sees; bursts are coalesced).
"use strict";

const state = { selected: null, pending: false, shown: {} };

function text(value) {
  return value === null || value === undefined ? "–" : String(value);
}

function ago(iso) {
  if (!iso) return "–";
  const s = Math.max(0, Math.round((Date.now() - Date.parse(iso)) / 1000));
  return s < 120 ? s + " s ago" : s < 7200 ? Math.round(s / 60) + " min ago" : Math.round(s / 3600) + " h ago";
}

function picture(kind, index, version) {
  return "picture?id=" + encodeURIComponent(state.selected) + "&kind=" + kind + "&index=" + index + "&v=" + version;
}

function figure(caption, src, flag) {
  const f = document.createElement("figure");
  if (flag) f.className = "flag-" + flag;
  const c = document.createElement("figcaption");
  c.textContent = caption;
  const img = document.createElement("img");
  img.alt = caption;
  img.src = src;
  f.append(c, img);
  return f;
}

async function loadStreams() {
  const listing = await (await fetch("api/streams", { cache: "no-store" })).json();
  const body = document.querySelector("#streams tbody");
  body.replaceChildren();
  for (const s of listing.streams) {
    const tr = document.createElement("tr");
    tr.dataset.stream = s.id;
    tr.dataset.version = s.version;
    if (s.id === state.selected) tr.className = "selected";
    const cells = [s.id, ago(s.lastArrival), s.model ? s.model + " " + s.modelVersion : "–", s.frames, s.forecasts,
      s.filled, s.provisional,
      s.rmseOverPersistence === null ? "–" : s.rmseOverPersistence.toFixed(3) + " (" + s.scoredLeads + " leads)"];
    cells.forEach((value, i) => {
      const td = document.createElement("td");
      td.textContent = text(value);
      if (i === 1) td.title = text(s.lastArrival);
      if (i >= 3) td.className = "n";
      tr.append(td);
    });
    tr.addEventListener("click", () => select(s.id));
    body.append(tr);
  }
  document.getElementById("empty").hidden = listing.streams.length > 0;
  const notes = [];
  if (listing.evicted > 0) notes.push(listing.evicted + " streams seen least recently dropped to keep within"
    + " odecast.http.live-page.max-streams");
  if (listing.skipped > 0) notes.push(listing.skipped + " records that could not be read not shown");
  document.getElementById("hidden").textContent = notes.join("; ");
  if (!state.selected && listing.streams.length > 0) select(listing.streams[0].id);
}

async function loadDetail() {
  if (!state.selected) return;
  const r = await fetch("api/stream?id=" + encodeURIComponent(state.selected), { cache: "no-store" });
  if (!r.ok) return;
  const d = await r.json();
  const v = d.summary.version;
  document.getElementById("detail").hidden = false;
  document.getElementById("detail-title").textContent = d.summary.id;
  const observed = document.querySelector("#observed img");
  const observedFigure = document.getElementById("observed");
  observedFigure.dataset.time = text(d.observedTime);
  if (d.observedTime && state.shown.observed !== d.observedTime) {
    state.shown.observed = d.observedTime;
    observed.src = picture("observed", 0, v);
  }
  const forecast = document.getElementById("forecast");
  if (d.forecastBasedOn && forecast.dataset.basedOn !== d.forecastBasedOn) {
    forecast.replaceChildren(...d.leads.map(l => {
      const f = figure("+" + l.lead.replace("PT", "").toLowerCase() + "  valid " + l.time, picture("lead", l.index, v));
      f.querySelector("img").className = "lead";
      return f;
    }));
    forecast.dataset.basedOn = d.forecastBasedOn;
  }
  document.getElementById("forecast-flags").textContent = d.forecastFlags.join(" ");
  const synthesised = document.getElementById("synthesised");
  const key = d.synthesised.map(s => s.time + s.flag).join(",");
  if (synthesised.dataset.key !== key) {
    synthesised.replaceChildren(...d.synthesised.slice().reverse().map(s =>
      figure(s.flag + "  " + s.time, picture("regular", s.index, v), s.flag)));
    synthesised.dataset.key = key;
  }
}

function select(id) {
  state.selected = id;
  state.shown = {};
  document.getElementById("forecast").dataset.basedOn = "";
  document.getElementById("synthesised").dataset.key = "";
  document.querySelectorAll("#streams tbody tr").forEach(tr =>
    tr.classList.toggle("selected", tr.dataset.stream === id));
  loadDetail();
}

function refreshSoon() {
  if (state.pending) return;
  state.pending = true;
  setTimeout(async () => {
    state.pending = false;
    try {
      await loadStreams();
      await loadDetail();
    } catch (e) {
      console.warn("refresh failed", e);
    }
  }, 200);
}

function connect() {
  const status = document.getElementById("status");
  const events = new EventSource("events");
  events.onopen = () => {
    status.textContent = "live";
    status.className = "status live";
    refreshSoon();
  };
  events.onerror = () => {
    status.textContent = "reconnecting…";
    status.className = "status down";
  };
  for (const kind of ["frame", "forecast", "regular"]) {
    events.addEventListener(kind, refreshSoon);
  }
}

connect();
refreshSoon();
// Keeps "last arrival" ages current when nothing arrives.
setInterval(refreshSoon, 10000);
