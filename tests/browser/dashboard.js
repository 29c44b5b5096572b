// dashboard.js - drives Debian's Chromium (headless, through playwright-core)
// against a running `rill serve --http-listen`: the dashboard must go live,
// its live chart and alert feed must update as records arrive, the numbers
// on the page must match the API (topics, queries, the query's topology and
// watermark), its stop and resume buttons must work, and the skew explorer
// and the advisor must recompute as their sliders move, agreeing with GET
// /skew and GET /advise. Screenshots go to OUTDIR.
//   node tests/browser/dashboard.js http://127.0.0.1:PORT OUTDIR
// The server must have the stream `readings` (sensor_id, value, ts) and a
// query writing `alerts` for value > 50 (tests/integration/test_http_dashboard.py).
"use strict";
const { chromium } = require("playwright-core");
const fs = require("fs");
const path = require("path");

const base = process.argv[2];
const outdir = process.argv[3];
const fail = (msg) => { console.error("FAIL: " + msg); process.exitCode = 1; throw new Error(msg); };
const ok = (msg) => console.log("ok: " + msg);
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

let seq = 0;
async function ingest(n, hot) {
  const now = Date.now();
  const lines = [];
  for (let i = 0; i < n; i++, seq++)
    lines.push(JSON.stringify({ sensor_id: "s" + (seq % 4), value: (hot && i % 2 === 0) ? 60 + (seq % 30) : seq % 40,
                                ts: now - (n - i) * 50 }));
  const res = await fetch(base + "/topics/readings", {
    method: "POST", body: lines.join("\n"), headers: { "Content-Type": "application/x-ndjson" } });
  if (res.status !== 200) fail("ingest answered " + res.status);
}

async function waitFor(page, fn, arg, what, timeout = 20000) {
  try {
    await page.waitForFunction(fn, arg, { timeout, polling: 200 });
  } catch (e) {
    fail(what + " (timed out)");
  }
  ok(what);
}

async function main() {
  fs.mkdirSync(outdir, { recursive: true });
  const browser = await chromium.launch({
    executablePath: "/usr/bin/chromium",
    headless: true,
    args: ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
           "--disable-dev-shm-usage", "--no-first-run", "--disable-extensions"],
  });
  try {
    const page = await browser.newPage({ viewport: { width: 1280, height: 1100 } });
    const errors = [];
    page.on("pageerror", (e) => errors.push(String(e)));
    page.on("console", (m) => { if (m.type() === "error") errors.push(m.text()); });
    await ingest(20, true);
    await page.goto(base + "/?chart=readings&field=value&key=sensor_id&alerts=alerts");
    await waitFor(page, () => document.getElementById("status").textContent === "live", null,
                  "the page connects to /events and goes live");
    await waitFor(page, () => !!document.querySelector('#topics tr[data-key="readings"]'), null,
                  "the topics table lists readings");
    await waitFor(page, () => +document.getElementById("chart").dataset.points >= 20, null,
                  "the live chart plots the 20 readings");
    await waitFor(page, () => +(document.getElementById("alert-count").dataset.value || 0) >= 10, null,
                  "the alert feed shows the 10 alerts");
    await page.screenshot({ path: path.join(outdir, "dashboard-1.png"), fullPage: true });

    // Live: more records move the chart, the alert feed and the rates.
    const alerts0 = +(await page.$eval("#alert-count", (e) => e.dataset.value));
    for (let i = 0; i < 5; i++) { await ingest(10, true); await sleep(300); }
    await waitFor(page, (a0) => +document.getElementById("alert-count").dataset.value >= a0 + 25, alerts0,
                  "the alert feed updates as alerts are written");
    await waitFor(page, () => +document.getElementById("chart").dataset.points >= 70, null,
                  "the live chart updates as readings arrive");
    const feed = await page.$eval("#alerts li", (e) => JSON.parse(e.textContent));
    if (!(feed.value > 50)) fail("the newest alert is a hot reading: " + JSON.stringify(feed));
    ok("the newest alert is a hot reading");
    await waitFor(page, () => +document.getElementById("wm-chart").dataset.points >= 3, null,
                  "the watermark chart plots the query's watermark lag over time");
    await page.screenshot({ path: path.join(outdir, "dashboard-2.png"), fullPage: true });

    // Quiet: the numbers on the page must equal the API's.
    let last = "";
    const deadline = Date.now() + 15000;
    for (;;) {
      const topics = await (await fetch(base + "/topics")).json();
      const queries = await (await fetch(base + "/queries")).json();
      const page_ = await page.evaluate(() => {
        const val = (sel) => { const e = document.querySelector(sel); return e ? e.dataset.value : null; };
        const out = { topics: {}, queries: {} };
        for (const tr of document.querySelectorAll("#topics tbody tr"))
          out.topics[tr.dataset.key] = +tr.querySelector(".records").dataset.value;
        for (const tr of document.querySelectorAll("#queries tbody tr"))
          out.queries[tr.dataset.key] = { rows_in: +val('#queries tr[data-key="' + tr.dataset.key + '"] .rows-in'),
                                          rows_out: +val('#queries tr[data-key="' + tr.dataset.key + '"] .rows-out') };
        return out;
      });
      const want = { topics: {}, queries: {} };
      for (const t of topics) if (!t.internal) want.topics[t.name] = t.records;
      for (const q of queries) want.queries[q.id] = { rows_in: q.rows_in, rows_out: q.rows_out };
      const got = JSON.stringify(page_), exp = JSON.stringify(want);
      if (got === exp && want.topics.readings === seq) { ok("page numbers match the API: " + got); break; }
      last = "page " + got + " api " + exp + " ingested " + seq;
      if (Date.now() > deadline) fail("page numbers never matched the API: " + last);
      await sleep(300);
    }
    await page.screenshot({ path: path.join(outdir, "dashboard-3.png"), fullPage: true });

    // One query's topology and watermark, against the API.
    await waitFor(page, () => !document.getElementById("query-detail").hidden &&
                  document.querySelectorAll("#topology .node.op").length > 0, null,
                  "the query's topology is drawn");
    {
      const q = await (await fetch(base + "/queries/q_1")).json();
      const got = await page.evaluate(() => [...document.querySelectorAll("#topology .node.op")].map((n) =>
        ({ name: n.querySelector(".title").textContent, rows_in: +n.querySelector(".rows-in").dataset.value })));
      const want = q.operators.map((o) => ({ name: o.name + (o.stage ? " (stage 1)" : ""), rows_in: o.rows_in }));
      if (JSON.stringify(got) !== JSON.stringify(want)) fail("topology operators " + JSON.stringify(got) + " api " + JSON.stringify(want));
      ok("the topology's operators and rows match the API: " + JSON.stringify(got));
      const ins = await page.$eval("#wm-parts", (e) => +e.dataset.inputs);
      if (ins !== q.watermark_explain.inputs.filter((i) => i.stage === 0).length) fail("watermark bars: " + ins);
      const why = await page.$eval("#wm-why", (e) => e.textContent);
      if (!why.includes(q.watermark_iso || "none") || !/Held back by readings partition \d|Nothing holds it back/.test(why))
        fail("the watermark explanation: " + why);
      ok("one watermark bar per input partition, and why: " + why);
    }
    // Stop and resume from the page.
    await page.click("#q-stop");
    await waitFor(page, () => document.getElementById("q-state").textContent.startsWith("STOPPED"), null,
                  "the stop button stops the query");
    const stopped = await (await fetch(base + "/queries/q_1")).json();
    if (stopped.state !== "STOPPED" || stopped.running) fail("the API says " + stopped.state);
    await page.click("#q-resume");
    await waitFor(page, () => document.getElementById("q-state").textContent === "RUNNING", null,
                  "the resume button resumes it");

    // The calculators recompute as a slider moves, and agree with the API.
    const slide = async (id, v) => page.$eval("#" + id, (e, val) => {
      e.value = String(val); e.dispatchEvent(new Event("input", { bubbles: true }));
    }, v);
    await slide("sk-partitions", 20);
    await waitFor(page, () => document.getElementById("skew-chart").dataset.partitions === "20", null,
                  "the skew explorer redraws for 20 partitions");
    {
      const r = await (await fetch(base + "/skew?sensors=100&hot_share=0.1&hot_traffic=0.9&partitions=20&rate=100000")).json();
      const got = await page.$eval("#skew-summary", (e) => e.dataset.imbalance);
      if (got !== r.key.imbalance.toFixed(3)) fail("skew imbalance " + got + " api " + r.key.imbalance);
      ok("the skew explorer's imbalance matches GET /skew: " + got);
    }
    const engine0 = await page.$eval("#advise-pick", (e) => e.dataset.engine);
    await slide("ad-events", 2000000);
    await slide("ad-patterns", 8);
    await waitFor(page, () => document.getElementById("ad-patterns-v").textContent === "8", null,
                  "the advisor takes the sliders");
    {
      await sleep(500);
      const r = await (await fetch(base + "/advise?events_per_s=2000000&latency_ms=5000&cep_patterns=8&ml=0" +
                                   "&kafka_exp=none&flink_exp=none&budget_usd=3000&engineers=3")).json();
      const got = await page.$eval("#advise-pick", (e) => e.dataset.engine);
      if (got !== r.engine) fail("advisor pick " + got + " api " + r.engine);
      ok("the advisor's pick matches GET /advise: " + engine0 + " at 20K events/s, " + got + " at 2M with 8 patterns");
    }
    await page.screenshot({ path: path.join(outdir, "dashboard-4.png"), fullPage: true });
    // A phone-sized viewport renders too.
    await page.setViewportSize({ width: 390, height: 844 });
    await sleep(500);
    await page.screenshot({ path: path.join(outdir, "dashboard-phone.png"), fullPage: true });
    if (errors.length) fail("errors in the page: " + errors.join("; "));
    ok("no script errors in the page");
  } finally {
    await browser.close();
  }
}

main().catch((e) => { if (!process.exitCode) { console.error("FAIL: " + e.stack); process.exitCode = 1; } });
