// End-to-end test of the lfr console in a real headless Chromium.
//
//   node console.mjs DEMO-INFO.json
//
// DEMO-INFO.json is what `lfr serve --demo --demo-info FILE` writes: the
// server's URL, the demo deployment and a sign-in link per role. The
// scenario is the one the console exists for: an operator signs in, an alert
// raised from the replayed video arrives in the queue by itself, the
// operator adjudicates with the keyboard, the engagement officer records
// what engaging showed and the policing outcome, and the Silver Commander's
// figures change without a reload; a user whose role does not allow
// adjudication is refused both in the browser and in the API; the operator
// marks Blue Watchlist passes, ends the one the system recognised, cancels
// the rest, and the commander's True Recognition Rate follows; the
// commander imports subjects into a new watchlist, a bad image first.
//
// Environment: LFR_CHROMIUM (default /usr/bin/chromium), LFR_ALERT_WAIT_S
// (how long to wait for an alert to arrive, default 240), LFR_SCREENSHOTS (a
// directory to keep a screenshot of each page in, for people to look at),
// LFR_IMPORT_IMAGES (photographs for the commander's watchlist import).

import { readFileSync, mkdirSync } from "node:fs";
import { join } from "node:path";
import { chromium } from "playwright-core";

const infoPath = process.argv[2];
if (!infoPath) {
  console.error("usage: node console.mjs DEMO-INFO.json (written by lfr serve --demo --demo-info)");
  process.exit(2);
}
const info = JSON.parse(readFileSync(infoPath, "utf8"));
const account = (role) => {
  const a = info.accounts.find((x) => x.role === role);
  if (!a) throw new Error(`${infoPath} has no ${role} account`);
  return a;
};
const executablePath = process.env.LFR_CHROMIUM || "/usr/bin/chromium";
const alertWait = Number(process.env.LFR_ALERT_WAIT_S || 240) * 1000;
const shots = process.env.LFR_SCREENSHOTS || null;
// Photographs for the watchlist import (obama.jpg, obama2.jpg, obama3.jpg).
const importImages = process.env.LFR_IMPORT_IMAGES;
if (!importImages) {
  console.error("LFR_IMPORT_IMAGES must name a folder of the face_recognition photographs (../shared/data/dlib-reference/images)");
  process.exit(2);
}
if (shots) mkdirSync(shots, { recursive: true });

let step = "starting";
const t0 = Date.now();
function log(msg) {
  console.log(`[${((Date.now() - t0) / 1000).toFixed(1).padStart(6)} s] ${msg}`);
}
function check(cond, msg) {
  if (!cond) throw new Error(`check failed: ${msg}`);
}
async function shot(page, name) {
  if (shots) await page.screenshot({ path: join(shots, `${name}.png`), fullPage: true });
}

// Signs a fresh browser context in through the role's link, as a person
// would (the token travels in the link's fragment, the console keeps only a
// cookie); returns the page, left wherever the console sent it.
async function signIn(browser, role) {
  const context = await browser.newContext({ viewport: { width: 1400, height: 1000 }, colorScheme: "dark" });
  const page = await context.newPage();
  page.on("pageerror", (e) => console.error(`[${role}] page error: ${e.message}`));
  await page.goto(account(role).link);
  await page.waitForURL((u) => u.pathname.startsWith("/console/"), { timeout: 20_000 });
  const who = await page.locator(".who").innerText();
  check(who.includes(`(${role.replace(/_/g, " ")})`), `${role} is shown as signed in (got "${who}")`);
  check(!page.url().includes("token"), "the token is wiped from the address bar");
  return page;
}

async function number(page, selector) {
  const text = (await page.locator(selector).innerText()).trim();
  const n = Number(text);
  check(Number.isFinite(n), `${selector} is a number (got "${text}")`);
  return n;
}

async function main() {
  step = `launching ${executablePath}`;
  const browser = await chromium.launch({
    executablePath,
    headless: true,
    // Root (as in CI containers) cannot use Chromium's sandbox.
    args: process.getuid && process.getuid() === 0 ? ["--no-sandbox"] : [],
  });
  log(`Chromium ${browser.version()}; console at ${info.url}`);
  try {
    await scenario(browser);
  } finally {
    await browser.close();
  }
}

async function scenario(browser) {
  const d = info.deployment;

  step = "operator signs in";
  const op = await signIn(browser, "operator");
  check(new URL(op.url()).pathname === "/console/alerts", `the operator starts on the alert queue (got ${op.url()})`);
  await op.locator("body[data-live=yes]").waitFor({ timeout: 10_000 });
  log("operator's queue is listening for alerts");

  step = "operator opens a camera's live view";
  {
    const link = op.locator("#camera-health a.view").first();
    await link.waitFor({ timeout: 30_000 });
    const view = await op.context().newPage();
    await view.goto(new URL(await link.getAttribute("href"), info.url).href);
    // Views are made only while someone looks: the first comes within seconds.
    await view.waitForFunction(() => Number(document.querySelector("#live-view").dataset.frames || 0) >= 2, null, { timeout: 30_000 });
    const width = await view.locator("#live-view").evaluate((img) => img.naturalWidth);
    check(width === 960, `the live view is a 960 px picture (got ${width})`);
    check((await view.locator("#live-age").innerText()).startsWith("Frame "), "the view says how old its frame is");
    await shot(view, "live-view");
    await view.close();
    log("operator saw the camera's live view, faces filled over");
  }

  step = "Silver Commander opens the dashboard";
  const silver = await signIn(browser, "silver_commander");
  check(new URL(silver.url()).pathname === "/console/dashboard", `the commander starts on the dashboard (got ${silver.url()})`);
  await silver.locator("body[data-live=yes]").waitFor({ timeout: 10_000 });
  const before = {
    alerts: await number(silver, "#t-alerts"),
    trueAlerts: await number(silver, "#t-true"),
  };
  log(`commander sees ${before.alerts} alert(s), ${before.trueAlerts} confirmed true`);

  step = "operator starts Blue Watchlist passes in a second window";
  // The volunteers walk past again and again (the video loops). The
  // operator keeps the queue open and marks the passes in another window:
  // a pass for each volunteer now; at the end, the first the system
  // alerted on is ended and the others cancelled. Recognised or not is the
  // system's word, read from the alerts; the commander's TRR follows.
  const trrBefore = await silver.locator("#t-trr").evaluate((el) => ({
    passes: Number(el.dataset.passes), recognised: Number(el.dataset.recognised),
  }));
  const blue = await op.context().newPage();
  await blue.goto(`${info.url}/console/alerts`);
  await blue.getByRole("navigation", { name: "Console" }).getByRole("link", { name: "Blue passes" }).click();
  await blue.waitForURL((u) => u.pathname === "/console/blue-passes");
  const volunteers = await blue.getByLabel("Volunteer (Blue Watchlist)").locator("option")
    .evaluateAll((os) => os.map((o) => ({ value: o.value, label: o.textContent })));
  check(volunteers.length >= 1, "the operator is offered the Blue Watchlist volunteers");
  for (const v of volunteers) {
    await blue.getByLabel("Volunteer (Blue Watchlist)").selectOption(v.value);
    await blue.getByLabel("Ends by itself after (seconds)").fill("600");
    // By keyboard: focus the button and press Enter.
    await blue.getByRole("button", { name: "Start pass" }).focus();
    await blue.keyboard.press("Enter");
    await blue.locator("#open-passes tbody tr[data-pass]").filter({ hasText: v.label }).waitFor({ timeout: 15_000 });
  }
  await blue.locator("body[data-live=yes]").waitFor({ timeout: 10_000 });
  log(`operator started ${volunteers.length} Blue pass(es): ${volunteers.map((v) => v.label).join(", ")}`);

  step = `waiting up to ${alertWait / 1000} s for an alert from the replayed video`;
  // Not one already waiting when the page loaded: one the event stream
  // brings in while the operator watches (the demo video loops, so its
  // volunteers keep walking past).
  const arrived = op.locator("#pending article.alert.new").first();
  await arrived.waitFor({ timeout: alertWait });
  const id = await arrived.getAttribute("data-alert");
  // From here on, that alert by its id: its card is drawn again when a
  // sighting or an update arrives (without the arrival mark), and "the
  // first new card" would then be another alert.
  const card = op.locator(`#pending #alert-${id}`);
  log(`alert A${id} is in the operator's queue`);
  const text = await card.innerText();
  check(/Score\s+[01]\.\d{3}/.test(text), `the card shows the score (got "${text}")`);
  check(/Category\s+\S/.test(text), "the card shows the subject's watchlist category");
  check(text.includes("arcade"), "the card names the camera");
  const probe = card.getByRole("img", { name: /^Probe/ });
  const candidate = card.getByRole("img", { name: /^Candidate/ });
  for (const [name, img] of [["probe", probe], ["candidate", candidate]]) {
    await img.waitFor();
    const w = await img.evaluate(async (el) => { await el.decode().catch(() => {}); return el.naturalWidth; });
    check(w > 0, `the ${name} image is shown`);
  }
  await shot(op, "operator-queue");

  step = "the queue shows how long each alert has waited, and counts them in the title";
  {
    await op.waitForFunction((sel) => /^waiting \d+ (s|min)/.test(document.querySelector(sel)?.textContent ?? ""),
      `#pending #alert-${id} .waiting`, { timeout: 5_000 });
    check(/^\(\d+\) Alert queue/.test(await op.title()), `the title counts the waiting alerts (got "${await op.title()}")`);
    const sound = op.getByRole("button", { name: /^Sound on new alerts/ });
    check((await sound.getAttribute("aria-pressed")) === "true", "sound on new alerts is on by default");
  }

  step = "a decision can be undone within its window";
  await card.focus();
  await op.keyboard.press("f");
  await card.locator(".undo").waitFor({ timeout: 5_000 });
  check((await card.getAttribute("data-deciding")) === "false_alert_no_engagement", "the card waits, marked not a match");
  await op.keyboard.press("u");
  await op.waitForFunction((sel) => { const el = document.querySelector(sel); return el && !el.hasAttribute("data-deciding") && !el.querySelector(".undo"); },
    `#pending #alert-${id}`, { timeout: 5_000 });
  check((await card.getAttribute("data-class")) === "pending", "undone, the alert is waiting again");
  // Past the window, nothing was sent: the store still has it undecided.
  await op.waitForTimeout(5_500);
  {
    const stored = await op.evaluate(async (a) => (await fetch(`/api/alerts/${a}`, { credentials: "same-origin" })).json(), id);
    check(stored.adjudication === null && stored.class === "pending", `an undone decision is never sent (got ${JSON.stringify(stored.class)})`);
  }
  log(`operator undid a decision on A${id} before it was sent`);

  step = "operator adjudicates with the keyboard";
  // The shortcut acts on the focused alert, or the oldest waiting one.
  await card.focus();
  await op.keyboard.press("e");
  const decided = op.locator(`#decided #alert-${id}`);
  await decided.waitFor({ timeout: 15_000 });
  check((await decided.innerText()).includes("passed for engagement"), "the card says it was passed for engagement");
  log(`operator passed A${id} for engagement`);

  step = "a user without the role is refused";
  const engager = await signIn(browser, "engagement_officer");
  check(new URL(engager.url()).pathname === "/console/engagement", `the engagement officer starts on the engagement page (got ${engager.url()})`);
  {
    const navs = await engager.getByRole("navigation", { name: "Console" }).innerText();
    check(!navs.includes("Alert queue"), "the engagement officer is not offered the operator's queue");
    // In the API, with the browser's own session: adjudication is the operator's.
    const res = await engager.evaluate(async (alert) => {
      const r = await fetch(`/api/alerts/${alert}/adjudication`, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({ decision: "false_alert_no_engagement" }),
      });
      return { status: r.status, body: await r.json() };
    }, id);
    check(res.status === 403, `the API refuses the engagement officer's adjudication with 403 (got ${res.status})`);
    check(res.body.rule === "role_permits", `the refusal names the rule (got ${JSON.stringify(res.body)})`);
  }
  const auditor = await signIn(browser, "auditor");
  {
    const res = await auditor.goto(`${info.url}/console/alerts`);
    check(res.status() === 403, `the alert queue is refused to the auditor with 403 (got ${res.status()})`);
    await auditor.getByRole("heading", { name: "Not allowed" }).waitFor();
    check((await auditor.getByRole("alert").innerText()).includes("role_permits"), "the refusal page names the rule");
    await shot(auditor, "refused");
    const api = await auditor.context().request.post(`${info.url}/api/alerts/${id}/adjudication`, {
      headers: { authorization: `Bearer ${account("auditor").token}` },
      data: { decision: "false_alert_no_engagement" },
    });
    check(api.status() === 403, `the API refuses the auditor's bearer token with 403 (got ${api.status()})`);
    // Both refusals are in the audit log the auditor reads.
    await auditor.goto(`${info.url}/console/audit?refused=true`);
    const refusals = auditor.locator("table.audit tbody tr.refused");
    for (const who of ["engager", "auditor"]) {
      const row = refusals.filter({ hasText: who }).filter({ hasText: `A${id}` });
      check((await row.count()) >= 1, `the audit log records ${who}'s refused adjudication of A${id}`);
    }
    log("the refusals are in the audit log the auditor reads");
  }

  step = "engagement officer records the finding and the outcome";
  const mine = engager.locator(`#alert-${id}`);
  await mine.waitFor({ timeout: 15_000 });
  // Keyboard users meet the skip link first, and it leads to the content.
  await engager.keyboard.press("Tab");
  check((await engager.evaluate(() => document.activeElement.textContent)) === "Skip to main content", "the first Tab stop is the skip link");
  await engager.keyboard.press("Enter");
  check((await engager.evaluate(() => document.activeElement.id)) === "main", "the skip link moves focus to the main content");
  await shot(engager, "engagement");
  await mine.getByLabel("It is the person on the watchlist").check();
  await mine.getByRole("button", { name: `Record finding for A${id}` }).click();
  const outcome = engager.locator(`#alert-${id}`).getByLabel("Policing outcome");
  await outcome.waitFor({ timeout: 15_000 });
  const options = await outcome.locator("option").evaluateAll((os) => os.map((o) => o.value).filter(Boolean));
  check(options.length > 0, "the outcome form offers policing outcomes");
  await outcome.selectOption(options[0]);
  await engager.locator(`#alert-${id}`).getByRole("button", { name: `Record outcome for A${id}` }).click();
  await engager.locator(`#alert-${id}`).waitFor({ state: "detached", timeout: 15_000 }).catch(() => {});
  log(`engagement officer recorded confirmed true and "${options[0]}" for A${id}`);

  step = "the commander's figures change";
  // No reload: the dashboard redraws itself from the event stream.
  await silver.waitForFunction(
    (n) => Number(document.querySelector("#t-true")?.textContent) === n,
    before.trueAlerts + 1,
    { timeout: 15_000 },
  );
  const after = {
    alerts: await number(silver, "#t-alerts"),
    trueAlerts: await number(silver, "#t-true"),
  };
  check(after.alerts >= Math.max(1, before.alerts), `the dashboard counts the alerts (${before.alerts} before, ${after.alerts} after)`);
  log(`commander now sees ${after.alerts} alert(s), ${after.trueAlerts} confirmed true`);
  await shot(silver, "dashboard");

  step = "waiting alerts of one subject are grouped";
  {
    // The video loops, so a subject's alerts pile up while the operator waits.
    await op.waitForFunction(() => {
      const subjects = Array.from(document.querySelectorAll("#pending > article.alert")).map((c) => c.dataset.subject);
      return subjects.some((s, i) => subjects.indexOf(s) !== i);
    }, null, { timeout: 120_000 });
    const cards = await op.locator("#pending > article.alert").evaluateAll((cs) =>
      cs.map((c) => ({ id: c.dataset.alert, subject: c.dataset.subject, grouped: c.dataset.grouped || null,
        note: (c.querySelector(":scope > p.grouped") || {}).textContent || null })));
    const seen = new Map();
    for (const [i, c] of cards.entries()) {
      if (!seen.has(c.subject)) {
        check(c.grouped === null, `the first waiting alert of a subject leads its group (A${c.id})`);
        seen.set(c.subject, c.id);
      } else {
        check(cards[i - 1].subject === c.subject, `A${c.id} sits with the other waiting alerts of its subject`);
        check(c.grouped === seen.get(c.subject) && c.note === `Same person as A${seen.get(c.subject)}, also waiting`,
          `A${c.id} is marked as the same person as A${seen.get(c.subject)} (got ${c.grouped}, "${c.note}")`);
      }
    }
    await shot(op, "operator-queue-grouped");
    log(`operator's ${cards.length} waiting alerts are grouped by subject`);
  }

  step = "operator marks a later alert of the same subject as a repeat";
  {
    // The video loops: the subject of A${id} comes round again, and once A${id}
    // is dealt with the queue offers that alert as its repeat (R).
    const again = op.locator(`#pending article.alert:has([data-repeat-of="${id}"])`).first();
    await again.waitFor({ timeout: alertWait });
    const repeatId = await again.getAttribute("data-alert");
    check((await again.innerText()).includes(`Same subject as A${id}`), "the card names the earlier alert it may repeat");
    await again.focus();
    await op.keyboard.press("r");
    const done = op.locator(`#decided #alert-${repeatId}`);
    await done.waitFor({ timeout: 15_000 });
    check((await done.innerText()).includes(`repeat of A${id}`), "the decided card says what it repeats");
    const stored = await op.evaluate(async (a) => (await fetch(`/api/alerts/${a}`, { credentials: "same-origin" })).json(), repeatId);
    check(stored.class === "repeat" && stored.repeat_of === Number(id), `A${repeatId} is stored as a repeat of A${id} (got ${JSON.stringify([stored.class, stored.repeat_of])})`);
    log(`operator marked A${repeatId} a repeat of A${id}`);
  }

  step = "operator ends the pass the system recognised";
  const seen = blue.locator("#open-passes tbody tr[data-pass]").filter({ has: blue.locator("td.seen", { hasText: "Alert A" }) }).first();
  await seen.waitFor({ timeout: alertWait });
  const passId = await seen.getAttribute("data-pass");
  log(`the system alerted on the volunteer of BP${passId}`);
  await shot(blue, "blue-passes-open");
  await blue.getByRole("button", { name: `End pass BP${passId}`, exact: true }).click();
  const endedRow = blue.locator(`#ended-passes tr[data-pass="${passId}"]`);
  await endedRow.waitFor({ timeout: 15_000 });
  check((await endedRow.getAttribute("data-state")) === "recognised", `BP${passId} ended recognised (got ${await endedRow.getAttribute("data-state")})`);
  check((await endedRow.innerText()).includes("Recognised (alert A"), "the ended pass names the alert that recognised it");
  const others = await blue.locator("#open-passes tbody tr[data-pass]").evaluateAll((rs) => rs.map((r) => r.dataset.pass));
  for (const other of others) {
    await blue.locator(`#cancel-${other}`).fill("volunteer turned back");
    await blue.getByRole("button", { name: `Cancel pass BP${other}`, exact: true }).click();
    await blue.locator(`#open-passes tr[data-pass="${other}"]`).waitFor({ state: "detached", timeout: 15_000 });
    check((await blue.locator(`#ended-passes tr[data-pass="${other}"]`).count()) === 0, `the cancelled BP${other} is not a pass of the TRR`);
  }
  log(`operator ended BP${passId} (recognised) and cancelled ${others.length} other pass(es)`);
  await shot(blue, "blue-passes-ended");

  step = "the commander's True Recognition Rate changes";
  await silver.waitForFunction(
    (n) => Number(document.querySelector("#t-trr")?.dataset.passes) === n,
    trrBefore.passes + 1,
    { timeout: 15_000 },
  );
  const trr = await silver.locator("#t-trr").evaluate((el) => ({
    passes: Number(el.dataset.passes), recognised: Number(el.dataset.recognised), text: el.textContent,
  }));
  check(trr.recognised === trrBefore.recognised + 1, `the TRR counts the recognised pass (${JSON.stringify(trr)})`);
  check(/95% interval \d+% to \d+%/.test(trr.text), `the TRR shows its 95% interval (got "${trr.text}")`);
  log(`commander sees True Recognition Rate ${trr.text}`);
  await shot(silver, "dashboard-trr");
  if (others.length) {
    await auditor.goto(`${info.url}/console/audit?target=BP${others[0]}`);
    check((await auditor.locator("table.audit tbody tr").filter({ hasText: "blue_pass.cancel" }).count()) === 1,
      `the auditor finds the cancellation of BP${others[0]}`);
  }

  step = "commander imports subjects in the console";
  {
    const page = await silver.context().newPage();
    await page.goto(`${info.url}/console/deployments/${d}`);
    await page.locator("#f-name").fill("Added in the console");
    await page.locator("#f-kind").selectOption("standard");
    await page.getByRole("button", { name: "Create watchlist" }).click();
    await page.getByRole("link", { name: /Added in the console/ }).click();
    await page.waitForURL((u) => /^\/console\/watchlists\/\d+$/.test(u.pathname));
    const image = (file) => readFileSync(join(importImages, file));
    const manifest = (files) => ({
      name: "manifest.json",
      mimeType: "application/json",
      buffer: Buffer.from(JSON.stringify({ entries: files.map(([ref, file]) => ({
        ref, name: `Subject ${ref}`, category: "wanted_by_courts",
        justification: "Warrant for failing to appear at court", source: `PNC WA/${ref}`,
        under_18: false, images: [file] })) })),
    });
    const jpeg = (name, buffer) => ({ name, mimeType: "image/jpeg", buffer });
    const cut = image("obama3.jpg");
    const files = page.locator("#import-files");
    const commit = page.locator("[data-import-commit]");
    // One image cut off in transfer: every image answered, that one named, nothing offered.
    await files.setInputFiles([
      manifest([["S1", "s1.jpg"], ["S2", "s2.jpg"], ["S3", "s3.jpg"]]),
      jpeg("s1.jpg", image("obama.jpg")), jpeg("s2.jpg", image("obama2.jpg")),
      jpeg("s3.jpg", cut.subarray(0, cut.length >> 1)),
    ]);
    await page.getByRole("button", { name: "Check" }).click();
    const problems = page.locator(".import ul.problems li");
    await problems.first().waitFor({ timeout: 60_000 });
    check((await problems.count()) === 1, `one problem (got ${await problems.allInnerTexts()})`);
    check((await problems.first().innerText()).includes("ref S3 image s3.jpg"), "the problem names the cut-off image");
    check(await commit.isDisabled(), "nothing is offered for import while anything is wrong");
    check((await page.locator(".import img.thumb").count()) === 2, "the two readable images are shown as thumbnails");
    await shot(page, "import-problems");
    // The clean import: checked, offered, imported; the watchlist awaits the AO.
    await files.setInputFiles([
      manifest([["S1", "s1.jpg"], ["S2", "s2.jpg"]]),
      jpeg("s1.jpg", image("obama.jpg")), jpeg("s2.jpg", image("obama2.jpg")),
    ]);
    check(await commit.isDisabled(), "choosing other files withdraws the offer");
    await page.getByRole("button", { name: "Check" }).click();
    await page.getByText("ready to import: 2 inclusion(s)").waitFor({ timeout: 60_000 });
    check((await page.locator(".import td.grade").allInnerTexts()).every((g) => g === "good" || g === "acceptable"), "every image is graded fit to enrol");
    check((await commit.innerText()).startsWith("Import 2 inclusion"), `the import is offered (got "${await commit.innerText()}")`);
    await shot(page, "import-checked");
    await Promise.all([page.waitForEvent("load"), commit.click()]);
    const refs = await page.locator("table tbody th[scope=row]").allInnerTexts();
    check(refs.join(",") === "S1,S2", `the watchlist holds the imported inclusions (got ${refs})`);
    check((await page.getByText("Not approved as it stands.").count()) === 1, "the import awaits the AO's approval");
    await page.close();
    log("commander checked and imported two subjects in the console");
  }

  step = "anonymous visitor";
  {
    const context = await browser.newContext();
    const page = await context.newPage();
    await page.goto(`${info.url}/console/alerts`);
    check(new URL(page.url()).pathname === "/signin", "an anonymous visitor is sent to sign in");
    const api = await context.request.get(`${info.url}/api/deployments/${d}/alerts`);
    check(api.status() === 401, `the API refuses an anonymous caller with 401 (got ${api.status()})`);
    await page.goto(info.url);
    await page.getByRole("heading", { name: "Where LFR will be used" }).waitFor();
    check((await page.getByText("In use now").count()) >= 1, "the public page shows the demo deployment in use");
    check((await page.locator("#force-notice").innerText()).includes("Legal basis"), "the public page states the force's legal basis");
    await shot(page, "public");
    await context.close();
  }
}

main().then(
  () => log("PASS"),
  (e) => {
    console.error(`FAIL while ${step}: ${e.message}`);
    process.exitCode = 1;
  },
);
