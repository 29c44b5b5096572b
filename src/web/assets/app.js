// rill dashboard: plain JavaScript, no framework, no build step.
// Data: GET /events (server-sent "overview" events, once a second), GET
// /streams, and POST /query?format=sse (push queries read with fetch) for
// the live chart and the alert feed; GET /skew and GET /advise for the
// calculators; POST /queries/{id}/stop|resume. Every number shown is also in the
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
    // Produce: records appended (offsets); fetch: records Kafka fetches
    // served (the broker counts them per partition).
    const rate = p && dt > 0 ? Math.max(0, (t.appended_records - p.appended_records) / dt) : 0;
    const frate = p && dt > 0 ? Math.max(0, (t.fetched_records - p.fetched_records) / dt) : 0;
    if (!t.internal) totalRate += rate;
    cell(tr, t.name, t.name);
    cell(tr, String(t.partitions), t.partitions, "num");
    cell(tr, String(t.records), t.records, "num records");
    cell(tr, fmtRate(rate), rate, "num rate");
    cell(tr, fmtRate(frate), frate, "num fetch-rate");
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
    cell(tr, typeof q.watermark_lag_ms !== "number" ? "-" : fmtAge(q.watermark_lag_ms),
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
    renderDetail(o);
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

// --- one query: topology, watermark explanation, stop / resume ----------

const detail = { id: null, prevOps: null, prevTime: 0 };

function pickQuery(queries) {
  const sel = $("q-pick");
  const ids = queries.map((q) => q.id);
  const params = new URLSearchParams(location.search);
  fillSelect(sel, ids);
  if (!detail.id || !ids.includes(detail.id))
    detail.id = ids.includes(params.get("query")) ? params.get("query") : ids[0] || null;
  if (detail.id) sel.value = detail.id;
  return queries.find((q) => q.id === detail.id) || null;
}

function box(cls, title, lines, key) {
  const d = document.createElement("div");
  d.className = "node " + cls;
  if (key) d.dataset.key = key;
  const t = document.createElement("div");
  t.className = "title";
  t.textContent = title;
  d.appendChild(t);
  for (const [text, value, vcls] of lines) {
    const l = document.createElement("div");
    l.className = "line" + (vcls ? " " + vcls : "");
    l.textContent = text;
    if (value !== undefined) l.dataset.value = String(value);
    d.appendChild(l);
  }
  return d;
}

function arrow(label) {
  const a = document.createElement("div");
  a.className = "edge";
  a.textContent = label ? "→ " + label : "→";
  return a;
}

// Stages as a row of boxes: inputs, operators (rows / s in and out,
// state), the repartition topic (lag), operators, the sink.
function renderTopology(q, dt, prevOps) {
  const root = $("topology");
  root.innerHTML = "";
  if (!q.running) {
    root.appendChild(box("off", q.id + " is " + q.state.toLowerCase(), [[q.error || "not running here"]]));
    return;
  }
  const ins = (q.watermark_explain.inputs || []);
  const byStage = (s) => ins.filter((i) => i.stage === s);
  const topics = {};
  for (const i of byStage(0)) {
    const t = topics[i.topic] || (topics[i.topic] = { parts: 0, lag: 0 });
    t.parts++;
    t.lag += Math.max(0, i.end - i.next);
  }
  const row = document.createElement("div");
  row.className = "flow";
  const col = document.createElement("div");
  col.className = "col";
  for (const [name, t] of Object.entries(topics))
    col.appendChild(box("topic", name, [[t.parts + " partitions"], ["lag " + t.lag, t.lag, "lag"]], "in:" + name));
  row.appendChild(col);
  const ops = q.operators || [];
  let stage = 0;
  ops.forEach((op, i) => {
    if (op.stage !== stage) {
      const rep = byStage(1);
      const lag = rep.reduce((a, r) => a + Math.max(0, r.end - r.next), 0);
      row.appendChild(arrow());
      row.appendChild(box("topic", q.id + "-repartition",
        [[rep.length + " partitions, " + q.stages[1].tasks + " tasks"], ["lag " + lag, lag, "lag"]], "repartition"));
      stage = op.stage;
    }
    // The server's rates (rows/s over its last ~5 s) when it has them;
    // in the query's first second, differences between two snapshots.
    const p = prevOps && prevOps[i];
    const rin = typeof op.rows_in_per_s === "number" ? op.rows_in_per_s
      : p && dt > 0 ? Math.max(0, (op.rows_in - p.rows_in) / dt) : 0;
    const rout = typeof op.rows_out_per_s === "number" ? op.rows_out_per_s
      : p && dt > 0 ? Math.max(0, (op.rows_out - p.rows_out) / dt) : 0;
    const lines = [["in " + fmtRate(rin) + "/s (" + op.rows_in + ")", op.rows_in, "rows-in"],
                   ["out " + fmtRate(rout) + "/s (" + op.rows_out + ")", op.rows_out, "rows-out"]];
    if (op.state_bytes !== undefined)
      lines.push(["state " + op.state_entries + " · " + fmtBytes(op.state_bytes), op.state_bytes, "state"]);
    row.appendChild(arrow(stage === 0 && i === 0 ? (q.stages[0].tasks + " tasks") : ""));
    row.appendChild(box("op", op.name + (op.stage ? " (stage 1)" : ""), lines, "op:" + i));
  });
  row.appendChild(arrow());
  row.appendChild(box("topic", q.sink || "-", [["sink"]], "sink"));
  root.appendChild(row);
}

function renderWatermark(q, now) {
  const why = $("wm-why");
  const cv = $("wm-parts");
  if (!q.running) {
    why.textContent = "not running";
    cv.dataset.inputs = "0";
    return;
  }
  const ex = q.watermark_explain;
  let text = "watermark " + (q.watermark_iso || "none");
  if (typeof q.watermark_lag_ms === "number") text += " (" + fmtAge(q.watermark_lag_ms) + " behind the wall clock)";
  text += ". ";
  if (ex.holder) {
    text += "Held back by " + ex.holder.topic + " partition " + ex.holder.partition +
      (ex.holder.key ? ", key " + ex.holder.key + " (its floor)" : "") + ": " + ex.reason;
    if (ex.holder.gap_ms > 0) text += " (" + fmtAge(ex.holder.gap_ms) + " behind the next slowest)";
  } else {
    text += "Nothing holds it back: " + ex.reason;
  }
  why.textContent = text + ".";
  why.dataset.holder = ex.holder ? ex.holder.topic + "/" + ex.holder.partition : "";
  why.dataset.key = ex.holder && ex.holder.key ? ex.holder.key : "";
  // One bar per stage-0 input partition: its watermark on the wall-clock
  // axis (now at the right edge).
  const ins = ex.inputs.filter((i) => i.stage === 0);
  cv.dataset.inputs = String(ins.length);
  const dpr = window.devicePixelRatio || 1;
  const rowH = 22;
  cv.style.height = (ins.length * rowH + 26) + "px";
  const w = cv.clientWidth, h = ins.length * rowH + 26;
  if (cv.width !== w * dpr || cv.height !== h * dpr) { cv.width = w * dpr; cv.height = h * dpr; }
  const g = cv.getContext("2d");
  g.setTransform(dpr, 0, 0, dpr, 0, 0);
  g.clearRect(0, 0, w, h);
  let span = 10000;
  for (const i of ins) if (typeof i.watermark_lag_ms === "number") span = Math.max(span, i.watermark_lag_ms * 1.1);
  const L = 130, R = 12;
  const x = (lag) => L + (1 - lag / span) * (w - L - R);
  g.font = "11px sans-serif";
  ins.forEach((i, k) => {
    const y = 4 + k * rowH;
    g.fillStyle = i.holds_back ? "#c53030" : "#445";
    g.fillText(i.topic + "/" + i.partition + (i.idle ? " (idle)" : "") +
      (i.holder_key ? " · " + i.holder_key : ""), 2, y + 14);
    if (typeof i.watermark_lag_ms !== "number") {
      g.fillText("no data yet", L + 4, y + 14);
      return;
    }
    g.fillStyle = i.holds_back ? "#fc8181" : i.idle ? "#cbd5e0" : "#90cdf4";
    g.fillRect(L, y + 3, x(i.watermark_lag_ms) - L, rowH - 8);
    g.fillStyle = "#223";
    g.fillText(i.watermark_iso + " · " + fmtAge(i.watermark_lag_ms), L + 4, y + 14);
  });
  g.strokeStyle = "#2f855a";
  g.beginPath(); g.moveTo(w - R, 0); g.lineTo(w - R, h - 20); g.stroke();
  g.fillStyle = "#667";
  g.fillText("wall clock", w - R - 52, h - 6);
  g.fillText("-" + fmtAge(Math.round(span)), L, h - 6);
  const lat = ex.lateness || [];
  $("lateness").textContent = q.late_rows ? "late rows by lateness: " + lat.filter((b) => b.rows)
    .map((b) => (b.le_ms === null ? "> 1 h" : "≤ " + fmtAge(b.le_ms)) + ": " + b.rows).join(", ") +
    " (the latest " + fmtAge(ex.max_lateness_ms) + ")" : "no late rows";
  $("lateness").dataset.value = String(q.late_rows || 0);
  // The newest late rows and dead letters, as the server sampled them.
  const sm = $("samples");
  sm.textContent = "";
  const list = (title, items, line) => {
    if (!items || !items.length) return;
    const h = document.createElement("div");
    h.className = "small";
    h.textContent = title;
    sm.appendChild(h);
    for (const it of items) {
      const d = document.createElement("pre");
      d.className = "sample";
      d.textContent = line(it);
      sm.appendChild(d);
    }
  };
  list("late rows (newest first)", q.late_samples, (s) => s.event_time + " · " + fmtAge(s.lateness_ms) +
    " late · partition " + s.partition + " offset " + s.offset + " · " + JSON.stringify(s.row));
  list("dead letters (newest first)", q.dead_letter_samples, (s) => "partition " + s.partition + " offset " +
    s.offset + " · " + s.reason + " · " + (s.value === null ? "null" : String(s.value)));
  sm.dataset.late = String((q.late_samples || []).length);
  sm.dataset.dead = String((q.dead_letter_samples || []).length);
}

function renderDetail(o) {
  const q = pickQuery(o.queries || []);
  $("query-detail").hidden = !q;
  if (!q) return;
  $("q-state").textContent = q.state + (q.running ? "" : " (not running)");
  $("q-state").className = "state-" + q.state;
  const dt = detail.prevTime ? (o.time - detail.prevTime) / 1000 : 0;
  renderTopology(q, dt, detail.prevId === q.id ? detail.prevOps : null);
  renderWatermark(q, o.time);
  detail.prevOps = q.operators || null;
  detail.prevId = q.id;
  detail.prevTime = o.time;
}

async function control(action) {
  if (!detail.id) return;
  const res = await fetch("/queries/" + encodeURIComponent(detail.id) + "/" + action, { method: "POST" });
  const r = await res.json();
  $("q-msg").textContent = r.error || r.text || "";
}

$("q-pick").addEventListener("change", () => { detail.id = $("q-pick").value; detail.prevOps = null; if (prev) renderDetail(prev); });
$("q-stop").addEventListener("click", () => control("stop"));
$("q-resume").addEventListener("click", () => control("resume"));

// --- the course's calculators: skew explorer and architecture advisor ---

function params(ids) {
  const p = new URLSearchParams();
  for (const [id, name] of ids) {
    const el = $(id);
    p.set(name, el.type === "checkbox" ? (el.checked ? "1" : "0") : el.value);
    const out = $(id + "-v");
    if (out) out.textContent = el.type === "range" && el.dataset.pct ? Math.round(el.value * 100) + "%" : el.value;
  }
  return p;
}

let skewSeq = 0;
async function updateSkew() {
  const seq = ++skewSeq;
  const p = params([["sk-sensors", "sensors"], ["sk-hot-share", "hot_share"], ["sk-hot-traffic", "hot_traffic"],
                    ["sk-partitions", "partitions"], ["sk-rate", "rate"]]);
  const res = await fetch("/skew?" + p);
  const r = await res.json();
  if (seq !== skewSeq) return;
  if (!res.ok) { $("skew-summary").textContent = r.error; return; }
  drawSkew(r);
  const s = $("skew-summary");
  s.dataset.imbalance = r.key.imbalance.toFixed(3);
  s.textContent = "key-based: hottest partition " + r.key.hottest + " carries " + (100 * r.key.hottest_share).toFixed(1) +
    "% (" + r.key.imbalance.toFixed(2) + "× the mean), " + r.key.idle + " idle; round-robin: every partition " +
    fmtRate(r.round_robin.mean) + " events/s (" + r.round_robin.imbalance.toFixed(2) + "×). " +
    "A consumer group is capped at " + r.partitions + " consumers, and by its hottest partition.";
}

function drawSkew(r) {
  const cv = $("skew-chart");
  const dpr = window.devicePixelRatio || 1;
  const w = cv.clientWidth, h = cv.clientHeight;
  if (cv.width !== w * dpr) { cv.width = w * dpr; cv.height = h * dpr; }
  const g = cv.getContext("2d");
  g.setTransform(dpr, 0, 0, dpr, 0, 0);
  g.clearRect(0, 0, w, h);
  const P = r.partitions, L = 60, B = 20, T = 16;
  const vmax = Math.max(r.key.max, r.round_robin.max) || 1;
  const bw = (w - L - 8) / P;
  g.font = "11px sans-serif";
  g.fillStyle = "#667";
  g.fillText(fmtRate(vmax) + "/s", 2, T + 4);
  g.fillText("0", 2, h - B);
  for (let p = 0; p < P; p++) {
    const x0 = L + p * bw;
    const hk = (h - T - B) * r.key.load[p] / vmax, hr = (h - T - B) * r.round_robin.load[p] / vmax;
    g.fillStyle = p === r.key.hottest ? "#c53030" : "#2b6cb0";
    g.fillRect(x0 + 1, h - B - hk, Math.max(1, bw * 0.55 - 1), hk);
    g.fillStyle = "#a0aec0";
    g.fillRect(x0 + bw * 0.55, h - B - hr, Math.max(1, bw * 0.35), hr);
    if (P <= 32) { g.fillStyle = "#667"; g.fillText(String(p), x0 + 2, h - 6); }
  }
  g.fillStyle = "#2b6cb0"; g.fillText("■ key-based (murmur2)", L, 11);
  g.fillStyle = "#a0aec0"; g.fillText("■ round-robin", L + 150, 11);
  cv.dataset.partitions = String(P);
}

let adviseSeq = 0;
async function updateAdvise() {
  const seq = ++adviseSeq;
  const p = params([["ad-events", "events_per_s"], ["ad-latency", "latency_ms"], ["ad-patterns", "cep_patterns"],
                    ["ad-ml", "ml"], ["ad-kafka", "kafka_exp"], ["ad-flink", "flink_exp"],
                    ["ad-budget", "budget_usd"], ["ad-engineers", "engineers"]]);
  const res = await fetch("/advise?" + p);
  const r = await res.json();
  if (seq !== adviseSeq) return;
  if (!res.ok) { $("advise-pick").textContent = r.error; return; }
  $("advise-pick").textContent = r.engine + (r.rill_embedded ? " — one rill node covers it" : " — rill on a Kafka cluster") +
    (r.over_budget ? " (over budget)" : "") + ", " + r.partitions + " partitions, " + r.mb_per_s.toFixed(1) + " MB/s";
  $("advise-pick").dataset.engine = r.engine;
  fillTable("advise-engines", r.engines, (tr, e) => {
    tr.dataset.key = e.name;
    cell(tr, e.name, e.name, e.name === r.engine ? "pick" : "");
    cell(tr, e.feasible ? "yes" : "no", e.feasible);
    cell(tr, "$" + e.infra_usd.toFixed(0), e.infra_usd, "num");
    cell(tr, "$" + e.year_one_usd.toFixed(0), e.year_one_usd, "num");
    cell(tr, e.eng_weeks.toFixed(1), e.eng_weeks, "num");
  });
  $("advise-report").textContent = r.report + "\n" + r.grow;
}

for (const el of document.querySelectorAll("#calc-skew input"))
  el.addEventListener("input", updateSkew);
for (const el of document.querySelectorAll("#calc-advise input, #calc-advise select"))
  el.addEventListener("input", updateAdvise);
updateSkew();
updateAdvise();

$("chart-stream").addEventListener("change", startChart);
$("alert-stream").addEventListener("change", startAlerts);
$("show-internal").addEventListener("change", () => prev && renderOverview(prev));
connectEvents();
loadStreams();
requestAnimationFrame(drawChart);
