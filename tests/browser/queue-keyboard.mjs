// An operator clearing a busy queue by keyboard alone
// (crates/cli/tests/console_queue.rs):
//
//   node queue-keyboard.mjs URL TOKEN N
//
// signs in as the operator, checks that N alerts are waiting, that the
// queue shows them newest first and back at the click of a button, decides
// every one with the keyboard (F: not a match, E: possible match, in turn;
// each key acts on the oldest waiting alert), and waits until every
// decision has left its 5 s undo window and is shown as decided. Prints
// one JSON line: {"cleared": N, "seconds": S}, timed from the first key;
// the test reads the decisions back from the store.
//
// Environment: LFR_CHROMIUM (default /usr/bin/chromium).

import { launch, operatorQueue } from "./operator.mjs";

const [url, token, n] = process.argv.slice(2);
if (!url || !token || !n) {
  console.error("usage: node queue-keyboard.mjs URL TOKEN N");
  process.exit(2);
}
const want = Number(n);

async function main() {
  const browser = await launch();
  try {
    const page = await operatorQueue(browser, url, token, 900);
    const waiting = page.locator("#pending > article.alert");
    await waiting.nth(want - 1).waitFor({ timeout: 10_000 });
    const count = await waiting.count();
    if (count !== want) throw new Error(`${count} alerts waiting, expected ${want}`);
    // Newest first, by choice, and back: the longest waiting at the top.
    const ids = async () => (await waiting.evaluateAll((cs) => cs.map((c) => Number(c.dataset.alert))));
    const order = page.locator("#order");
    await order.click();
    let now = await ids();
    if (now[0] !== Math.max(...now) || (await order.getAttribute("aria-pressed")) !== "true") throw new Error(`newest first shows ${now}`);
    await order.click();
    now = await ids();
    if (now[0] !== Math.min(...now)) throw new Error(`oldest first shows ${now}`);
    const start = Date.now();
    for (let i = 0; i < want; i++) {
      await page.keyboard.press(i % 2 ? "e" : "f");
      // The key has marked one more alert as being decided.
      await page.waitForFunction((k) => document.querySelectorAll("#pending [data-deciding]").length
        + document.querySelectorAll("#decided > article.alert").length >= k, i + 1, { timeout: 5_000 });
    }
    await page.waitForFunction((k) => document.querySelectorAll("#decided > article.alert").length >= k
      && document.querySelectorAll("#pending > article.alert").length === 0, want, { timeout: 30_000 });
    console.log(JSON.stringify({ cleared: want, seconds: (Date.now() - start) / 1000 }));
  } finally {
    await browser.close();
  }
}

main().catch((e) => {
  console.error(`FAIL: ${e.message}`);
  process.exitCode = 1;
});
