// What the operator scripts share: Debian's headless Chromium, and an
// operator signed in through the console's sign-in link, left on the queue.

import { chromium } from "playwright-core";

export async function launch() {
  return chromium.launch({
    executablePath: process.env.LFR_CHROMIUM || "/usr/bin/chromium",
    headless: true,
    // Root (as in CI containers) cannot use Chromium's sandbox.
    args: process.getuid && process.getuid() === 0 ? ["--no-sandbox"] : [],
  });
}

// A page signed in at `url` with `token`, on the alert queue.
export async function operatorQueue(browser, url, token, height = 1000) {
  const page = await (await browser.newContext({ viewport: { width: 1400, height } })).newPage();
  page.on("pageerror", (e) => console.error(`page error: ${e.message}`));
  await page.goto(`${url.replace(/\/$/, "")}/signin#token=${token}`);
  await page.waitForURL((u) => u.pathname === "/console/alerts", { timeout: 20_000 });
  return page;
}
