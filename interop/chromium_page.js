#!/usr/bin/env node
// chromium_page.js URL [--chromium-flag ...]: `cargo xtask interop serve`'s browser.
//
// Launches Debian's headless Chromium (CHROMIUM, default /usr/bin/chromium) through
// playwright-core (found on NODE_PATH; pinned in interop/package.json), opens URL (the
// `stator serve` page), waits until the page sets body[data-done], and prints one line
//   RESULT: {"pageVersion", "rows": [{id, state, via, result}], "log", "responses",
//            "webSockets"}
// for the Rust side to judge: what the page reported (its WebSocket check row, the
// `/ws?info` scope JSON the server sent over that WebSocket, in the page's log) and what
// the browser saw over the DevTools protocol (the protocol of each response, the status
// of each WebSocket handshake). No certificate errors are ignored here: trust comes only
// from the flags given (--ignore-certificate-errors-spki-list). Exits 1 if the page never
// finished or the browser could not start, printing the error.
"use strict";
const { chromium } = require("playwright-core");

async function main() {
  const url = process.argv[2];
  const flags = process.argv.slice(3);
  const timeout = Number(process.env.PAGE_TIMEOUT_MS || 30000);
  const browser = await chromium.launch({
    executablePath: process.env.CHROMIUM || "/usr/bin/chromium",
    headless: true,
    args: ["--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-background-networking",
      "--disable-sync", ...flags],
    timeout,
  });
  try {
    console.log("browser:", browser.version());
    const context = await browser.newContext();
    const page = await context.newPage();
    const cdp = await context.newCDPSession(page);
    await cdp.send("Network.enable");
    const responses = [];
    const webSockets = [];
    cdp.on("Network.responseReceived", (e) =>
      responses.push({ protocol: e.response.protocol, status: e.response.status, url: e.response.url }));
    cdp.on("Network.webSocketCreated", (e) => webSockets.push({ requestId: e.requestId, url: e.url }));
    cdp.on("Network.webSocketHandshakeResponseReceived", (e) => {
      const ws = webSockets.find((w) => w.requestId === e.requestId);
      if (ws) { ws.status = e.response.status; }
    });
    page.on("console", (m) => console.log("[console]", m.text()));
    page.on("pageerror", (e) => console.log("[pageerror]", e.message));
    await page.goto(url, { timeout });
    await page.waitForSelector("body[data-done]", { state: "attached", timeout });
    const seen = await page.evaluate(() => ({
      pageVersion: document.body.dataset.pageVersion,
      rows: Array.from(document.querySelectorAll("#checks tr")).map((tr) => ({
        id: tr.id.replace(/^check-/, ""),
        state: tr.dataset.state || "",
        via: tr.dataset.via || "",
        result: tr.cells[2] ? tr.cells[2].textContent : "",
      })),
      log: document.getElementById("log").textContent,
    }));
    console.log("RESULT: " + JSON.stringify({ ...seen, responses, webSockets }));
  } finally {
    await browser.close();
  }
}

main().catch((e) => {
  console.log("PAGE-ERROR:", String(e.message || e).split("\n").slice(0, 6).join(" | "));
  process.exit(1);
});
