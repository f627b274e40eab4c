// The operator of the three-node test (crates/cli/tests/nodes.rs):
//
//   node node-operator.mjs URL TOKEN
//
// signs in on URL, a node that runs no camera, waits for an alert raised on
// another node to arrive in the queue by itself, and passes it for
// engagement with the keyboard. Prints one JSON line, {"alert": "A7",
// "camera": "left"}, once the decision is past its undo window and shown
// as decided.
//
// Environment: LFR_CHROMIUM (default /usr/bin/chromium), LFR_ALERT_WAIT_S
// (default 180).

import { launch, operatorQueue } from "./operator.mjs";

const [url, token] = process.argv.slice(2);
if (!url || !token) {
  console.error("usage: node node-operator.mjs URL TOKEN");
  process.exit(2);
}
const alertWait = Number(process.env.LFR_ALERT_WAIT_S || 180) * 1000;

async function main() {
  const browser = await launch();
  try {
    const page = await operatorQueue(browser, url, token);
    await page.locator("body[data-live=yes]").waitFor({ timeout: 10_000 });
    // One the event stream brings in while the operator watches.
    const arrived = page.locator("#pending article.alert.new").first();
    await arrived.waitFor({ timeout: alertWait });
    const id = await arrived.getAttribute("data-alert");
    // By its id from here: a sighting redraws the card without the arrival
    // mark, and "the first new card" would then be another alert.
    const card = page.locator(`#pending #alert-${id}`);
    const text = await card.innerText();
    const camera = ["left", "right"].find((c) => text.includes(c));
    await card.focus();
    await page.keyboard.press("e");
    const decided = page.locator(`#decided #alert-${id}`);
    await decided.waitFor({ timeout: 15_000 });
    if (!(await decided.innerText()).includes("passed for engagement")) {
      throw new Error(`A${id} is not shown as passed for engagement`);
    }
    console.log(JSON.stringify({ alert: `A${id}`, camera }));
  } finally {
    await browser.close();
  }
}

main().catch((e) => {
  console.error(`FAIL: ${e.message}`);
  process.exitCode = 1;
});
