// rill dashboard: plain JavaScript, no framework, no build step.
// Data: GET /events (server-sent "overview" events, once a second), GET
// /streams, and POST /query?format=sse (push queries read with fetch) for
// the live chart and the alert feed. Every number shown is also in the
// cell's data-value attribute (tests compare it with the API).
"use strict";

const $ = (id) => document.getElementById(id);
let prev = null; // the previous overview, for rates

function fmtBytes(n) {
  if (n < 1024) return n.toFixed(0) + " B";
  const u = ["KiB", "MiB", "GiB", "TiB"];
  let i = -1;
  do { n /= 1024; i++; } while (n >= 1024 && i < u.length - 1);
  return n.toFixed(1) + " " + u[i];
}

function fmtRate(n) {
  return n >= 100 ? n.toFixed(0) : n.toFixed(1);
}

function fmtAge(ms) {
  if (ms < 0) return "ahead " + fmtAge(-ms);
  if (ms < 1000) return ms + " ms";
  if (ms < 120000) return (ms / 1000).toFixed(1) + " s";
  if (ms < 7200000) return (ms / 60000).toFixed(1) + " min";
  return (ms / 3600000).toFixed(1) + " h";
}

function cell(tr, text, value, cls) {
  const td = document.createElement("td");
  td.textContent = text;
  if (value !== undefined) td.dataset.value = String(value);
  if (cls) td.className = cls;
  tr.appendChild(td);
  return td;
}

// Replaces tbody's rows (keyed by data-key) without flicker.
function fillTable(id, rows, build) {
  const tbody = $(id).tBodies[0];
  const fresh = document.createElement("tbody");
  for (const r of rows) {
    const tr = document.createElement("tr");
    build(tr, r);
    fresh.appendChild(tr);
  }
  tbody.replaceWith(fresh);
}

function renderOverview(o) {
  $("clock").textContent = o.time_iso;
  const c = o.counters;
  const dt = prev ? (o.time - prev.time) / 1000 : 0;
  const prevTopics = {};
  if (prev) for (const t of prev.topics) prevTopics[t.name] = t;
  const showInternal = $("show-internal").checked;
  let totalRate = 0;
  const topics = o.topics.filter((t) => showInternal || !t.internal);
  fillTable("topics", topics, (tr, t) => {
    tr.dataset.key = t.name;
    const p = prevTopics[t.name];
    const rate = p && dt > 0 ? Math.max(0, (t.records - p.records) / dt) : 0;
    if (!t.internal) totalRate += rate;
    cell(tr, t.name, t.name);
    cell(tr, String(t.partitions), t.partitions, "num");
    cell(tr, String(t.records), t.records, "num records");
    cell(tr, fmtRate(rate), rate, "num rate");
    cell(tr, fmtBytes(t.size_bytes), t.size_bytes, "num");
  });
  if (prev && dt > 0) {
    $("rate-in").textContent = fmtRate(totalRate);
    const bin = (c.broker_bytes_in - prev.counters.broker_bytes_in) / dt;
    const bout = (c.broker_bytes_out - prev.counters.broker_bytes_out) / dt;
    $("rate-bytes").textContent = fmtBytes(bin) + "/s · " + fmtBytes(bout) + "/s";
  }
  $("connections").textContent = String(c.connections);
  $("connections").dataset.value = String(c.connections);

  const queries = o.queries || [];
  $("queries-running").textContent = queries.filter((q) => q.state === "RUNNING").length;
  fillTable("queries", queries, (tr, q) => {
    tr.dataset.key = q.id;
    cell(tr, q.id, q.id);
    cell(tr, q.state, q.state, "state-" + q.state);
    cell(tr, q.sink, q.sink);
    cell(tr, q.rows_in === undefined ? "-" : String(q.rows_in), q.rows_in, "num rows-in");
    cell(tr, q.rows_out === undefined ? "-" : String(q.rows_out), q.rows_out, "num rows-out");
    const lag = (q.stages || []).map((s) => s.stage + " " + s.lag).join(", ");
    cell(tr, lag || "-", q.lag_records, "num lag");
    cell(tr, q.watermark_iso || "none", q.watermark, "watermark");
    cell(tr, q.watermark_lag_ms === undefined ? "-" : fmtAge(q.watermark_lag_ms),
         q.watermark_lag_ms, "num");
    cell(tr, q.late_rows === undefined ? "-" : String(q.late_rows), q.late_rows, "num late");
    cell(tr, q.dead_letters === undefined ? "-" : String(q.dead_letters), q.dead_letters, "num dead");
  });
  fillTable("groups", o.groups, (tr, g) => {
    tr.dataset.key = g.group;
    cell(tr, g.group, g.group);
    cell(tr, g.partitions.map((p) => p.topic + "/" + p.partition + " " + p.lag).join(", "));
    cell(tr, String(g.lag), g.lag, "num lag");
  });
  prev = o;
}

// --- watermark lag over time (from the overview events) ----------------

const wmHistory = new Map(); // query id -> [{t, lag}]
const WM_WINDOW_MS = 5 * 60 * 1000;

function recordWatermarks(o) {
  for (const q of o.queries || []) {
    if (typeof q.watermark_lag_ms !== "number") continue;
    if (!wmHistory.has(q.id)) wmHistory.set(q.id, []);
    const h = wmHistory.get(q.id);
    h.push({ t: o.time, lag: q.watermark_lag_ms / 1000 });
    while (h.length && h[0].t < o.time - WM_WINDOW_MS) h.shift();
  }
  drawWatermarks(o.time);
}

function drawWatermarks(now) {
  const cv = $("wm-chart");
  const dpr = window.devicePixelRatio || 1;
  const w = cv.clientWidth, h = cv.clientHeight;
  if (cv.width !== w * dpr) { cv.width = w * dpr; cv.height = h * dpr; }
  const g = cv.getContext("2d");
  g.setTransform(dpr, 0, 0, dpr, 0, 0);
  g.clearRect(0, 0, w, h);
  let vmax = 1, n = 0;
  for (const pts of wmHistory.values()) for (const p of pts) { vmax = Math.max(vmax, p.lag); n++; }
  cv.dataset.points = String(n);
  const L = 50, R = 90, T = 8, B = 20;
  const x = (t) => L + (t - (now - WM_WINDOW_MS)) / WM_WINDOW_MS * (w - L - R);
  const y = (v) => T + (1 - Math.max(0, v) / vmax) * (h - T - B);
  g.strokeStyle = "#ccd"; g.fillStyle = "#667"; g.font = "11px sans-serif";
  for (let i = 0; i <= 2; i++) {
    const v = vmax * i / 2;
    g.beginPath(); g.moveTo(L, y(v)); g.lineTo(w - R, y(v)); g.stroke();
    g.fillText(v.toFixed(1) + " s", 2, y(v) + 4);
  }
  for (let m = 0; m <= 5; m++) g.fillText(m === 5 ? "now" : "-" + (5 - m) + " min", x(now - (5 - m) * 60000) - 12, h - 4);
  let i = 0;
  for (const [id, pts] of wmHistory) {
    if (!pts.length) continue;
    g.strokeStyle = g.fillStyle = COLORS[i++ % COLORS.length];
    g.beginPath();
    pts.forEach((p, j) => (j ? g.lineTo : g.moveTo).call(g, x(p.t), y(p.lag)));
    g.stroke();
    const last = pts[pts.length - 1];
    g.fillText(id + " " + last.lag.toFixed(1) + " s", w - R + 4, y(last.lag) + 4);
  }
}

function connectEvents() {
  const es = new EventSource("/events");
  es.addEventListener("overview", (e) => {
    $("status").textContent = "live";
    $("status").className = "status on";
    const o = JSON.parse(e.data);
    renderOverview(o);
    recordWatermarks(o);
  });
  es.onerror = () => {
    $("status").textContent = "reconnecting";
    $("status").className = "status off";
  };
}

// --- push queries read with fetch (EventSource cannot POST) -------------

// Runs `sql` as a push query; calls onRow(row) per row until abort.
function push(sql, onRow, controller) {
  return fetch("/query?format=sse", {
    method: "POST",
    body: sql,
    headers: { "Content-Type": "text/plain" },
    signal: controller.signal,
  }).then(async (res) => {
    if (!res.ok) throw new Error((await res.json()).error.message || res.status);
    const reader = res.body.getReader();
    const dec = new TextDecoder();
    let buf = "";
    for (;;) {
      const { value, done } = await reader.read();
      if (done) return;
      buf += dec.decode(value, { stream: true });
      let i;
      while ((i = buf.indexOf("\n\n")) >= 0) {
        const ev = buf.slice(0, i);
        buf = buf.slice(i + 2);
        for (const line of ev.split("\n"))
          if (line.startsWith("data: ")) onRow(JSON.parse(line.slice(6)));
      }
    }
  });
}

function quoteIdent(name) {
  return /^[A-Za-z_][A-Za-z0-9_]*$/.test(name) ? name : '"' + name.replace(/"/g, '""') + '"';
}

// --- live chart ---------------------------------------------------------

const chart = { ctrl: null, points: [], fields: [], keys: [], count: 0 };
const COLORS = ["#2b6cb0", "#c05621", "#2f855a", "#b83280", "#6b46c1", "#975a16", "#2c7a7b", "#c53030"];
const WINDOW_MS = 10 * 60 * 1000;

function rowTime(row) {
  for (const k of ["window_end", "ts", "event_time", "time", "rowtime"]) {
    const v = row[k];
    if (typeof v === "string") { const t = Date.parse(v); if (!isNaN(t)) return t; }
    if (typeof v === "number" && v > 1e12) return v;
  }
  return Date.now();
}

function startChart() {
  if (chart.ctrl) chart.ctrl.abort();
  chart.points = [];
  chart.count = 0;
  chart.fields = [];
  const stream = $("chart-stream").value;
  if (!stream) return;
  chart.ctrl = new AbortController();
  $("chart-info").textContent = "waiting for rows of " + stream;
  push("SELECT * FROM " + quoteIdent(stream), (row) => {
    chart.count++;
    if (!chart.fields.length) {
      chart.fields = Object.keys(row).filter((k) => typeof row[k] === "number" && k !== "ts");
      chart.keys = Object.keys(row).filter((k) => typeof row[k] === "string");
      fillSelect($("chart-field"), chart.fields);
      fillSelect($("chart-key"), [""].concat(chart.keys), "(one)");
      const params = new URLSearchParams(location.search);
      if (chart.fields.includes(params.get("field"))) $("chart-field").value = params.get("field");
      if (chart.keys.includes(params.get("key"))) $("chart-key").value = params.get("key");
    }
    chart.points.push({ t: rowTime(row), row });
    if (chart.points.length > 20000) chart.points.splice(0, chart.points.length - 20000);
  }, chart.ctrl).catch((e) => {
    if (e.name !== "AbortError") $("chart-info").textContent = "error: " + e.message;
  });
}

function fillSelect(sel, values, emptyLabel) {
  const keep = sel.value;
  sel.innerHTML = "";
  for (const v of values) {
    const o = document.createElement("option");
    o.value = v;
    o.textContent = v === "" ? emptyLabel : v;
    sel.appendChild(o);
  }
  if (values.includes(keep)) sel.value = keep;
}

function drawChart() {
  const cv = $("chart");
  const dpr = window.devicePixelRatio || 1;
  const w = cv.clientWidth, h = cv.clientHeight;
  if (cv.width !== w * dpr) { cv.width = w * dpr; cv.height = h * dpr; }
  const g = cv.getContext("2d");
  g.setTransform(dpr, 0, 0, dpr, 0, 0);
  g.clearRect(0, 0, w, h);
  const field = $("chart-field").value, key = $("chart-key").value;
  const pts = chart.points.filter((p) => typeof p.row[field] === "number");
  cv.dataset.points = String(pts.length);
  if (!pts.length) { requestAnimationFrame(drawChart); return; }
  // The last 10 minutes, or less while there is less (at least 30 s).
  let tmax = -Infinity, tfirst = Infinity;
  for (const p of pts) { if (p.t > tmax) tmax = p.t; if (p.t < tfirst) tfirst = p.t; }
  const span = Math.min(WINDOW_MS, Math.max(30000, tmax - tfirst));
  const tmin = tmax - span;
  const vis = pts.filter((p) => p.t >= tmin);
  let vmin = Math.min(...vis.map((p) => p.row[field])), vmax = Math.max(...vis.map((p) => p.row[field]));
  if (vmin === vmax) { vmin -= 1; vmax += 1; }
  const L = 50, R = 10, T = 10, B = 24;
  const x = (t) => L + (t - tmin) / span * (w - L - R);
  const y = (v) => T + (1 - (v - vmin) / (vmax - vmin)) * (h - T - B);
  g.strokeStyle = "#ccd"; g.fillStyle = "#667"; g.font = "11px sans-serif";
  for (let i = 0; i <= 4; i++) {
    const v = vmin + (vmax - vmin) * i / 4;
    g.beginPath(); g.moveTo(L, y(v)); g.lineTo(w - R, y(v)); g.stroke();
    g.fillText(v.toPrecision(4), 2, y(v) + 4);
  }
  for (let i = 0; i <= 5; i++) {
    const ago = span * (5 - i) / 5;
    const label = ago >= 120000 ? "-" + (ago / 60000).toFixed(0) + " min" : "-" + (ago / 1000).toFixed(0) + " s";
    g.fillText(ago ? label : "now", Math.min(x(tmax - ago) - 12, w - 28), h - 6);
  }
  const series = new Map();
  for (const p of vis) {
    const k = key ? String(p.row[key]) : "";
    if (!series.has(k)) series.set(k, []);
    series.get(k).push(p);
  }
  let i = 0;
  for (const [, s] of [...series.entries()].slice(0, 8)) {
    s.sort((a, b) => a.t - b.t);
    g.strokeStyle = COLORS[i++ % COLORS.length];
    g.beginPath();
    s.forEach((p, j) => (j ? g.lineTo : g.moveTo).call(g, x(p.t), y(p.row[field])));
    g.stroke();
  }
  $("chart-info").textContent = chart.count + " rows of " + $("chart-stream").value +
    (series.size > 8 ? " (8 of " + series.size + " series shown)" : "");
  requestAnimationFrame(drawChart);
}

// --- alert feed ---------------------------------------------------------

const alerts = { ctrl: null, n: 0 };

function startAlerts() {
  if (alerts.ctrl) alerts.ctrl.abort();
  alerts.n = 0;
  $("alerts").innerHTML = "";
  $("alert-count").textContent = "0 alerts";
  const stream = $("alert-stream").value;
  if (!stream) return;
  alerts.ctrl = new AbortController();
  push("SELECT * FROM " + quoteIdent(stream), (row) => {
    alerts.n++;
    const li = document.createElement("li");
    li.className = "new";
    li.textContent = JSON.stringify(row);
    const list = $("alerts");
    list.insertBefore(li, list.firstChild);
    while (list.children.length > 100) list.removeChild(list.lastChild);
    $("alert-count").textContent = alerts.n + " alerts";
    $("alert-count").dataset.value = String(alerts.n);
  }, alerts.ctrl).catch(() => {});
}

async function loadStreams() {
  const res = await fetch("/streams");
  const streams = res.ok ? await res.json() : [];
  const names = streams.map((s) => s.name);
  const params = new URLSearchParams(location.search);
  fillSelect($("chart-stream"), names);
  fillSelect($("alert-stream"), names);
  const alertGuess = params.get("alerts") || names.find((n) => /alert|anomal|stuck/i.test(n)) || names[0];
  const chartGuess = params.get("chart") || names.find((n) => /stats|reading/i.test(n)) || names[0];
  if (alertGuess) $("alert-stream").value = alertGuess;
  if (chartGuess) $("chart-stream").value = chartGuess;
  startChart();
  startAlerts();
}

$("chart-stream").addEventListener("change", startChart);
$("alert-stream").addEventListener("change", startAlerts);
$("show-internal").addEventListener("change", () => prev && renderOverview(prev));
connectEvents();
loadStreams();
requestAnimationFrame(drawChart);
