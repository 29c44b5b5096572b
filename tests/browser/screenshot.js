// screenshot.js - a screenshot of a page in Debian's headless Chromium
// (playwright-core), after it has been open WAIT_MS:
//   node tests/browser/screenshot.js URL OUT.png [WAIT_MS] [WIDTH] [HEIGHT]
// Used for the README's picture of the dashboard during `make demo`.
"use strict";
const { chromium } = require("playwright-core");

async function main() {
  const [url, out, wait = "20000", width = "1280", height = "1000"] = process.argv.slice(2);
  const browser = await chromium.launch({
    executablePath: "/usr/bin/chromium",
    args: ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
           "--disable-dev-shm-usage", "--no-first-run"],
  });
  try {
    const page = await browser.newPage({ viewport: { width: +width, height: +height } });
    await page.goto(url);
    await page.waitForTimeout(+wait);
    await page.screenshot({ path: out, fullPage: false });
  } finally {
    await browser.close();
  }
}
main().catch((e) => { console.error(e); process.exitCode = 1; });
