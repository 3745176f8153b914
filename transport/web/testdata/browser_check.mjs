// Drives the manage-link pages in Debian's chromium, as a citizen on a
// phone would: reads the meeting, switches language, moves the meeting to
// another day's first free time and cancels it, running axe-core (WCAG 2.1
// A and AA) on every page on the way. Prints one JSON object; the Go test
// (browser_test.go) judges it and checks the appointment through booking.
import { chromium } from 'playwright-core';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);
const axeSource = readFileSync(require.resolve('axe-core/axe.min.js'), 'utf8');
const url = process.env.MANAGE_URL;
const out = { pages: [], violations: [], csp: [], steps: [] };

const browser = await chromium.launch({ executablePath: process.env.CHROMIUM, args: ['--no-sandbox'] });
try {
  const context = await browser.newContext({ viewport: { width: 375, height: 740 }, locale: 'sv-SE', isMobile: true, hasTouch: true });
  const page = await context.newPage();
  page.on('console', (m) => { if (/Content Security Policy|Refused to/i.test(m.text())) out.csp.push(m.text()); });

  // axe is evaluated through the DevTools protocol, which the page's CSP
  // (no script at all) does not govern; the page itself stays as served.
  async function audit(name) {
    await page.evaluate(axeSource);
    const res = await page.evaluate(async () => {
      const r = await window.axe.run(document, { runOnly: { type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa'] } });
      return r.violations.map((v) => ({ id: v.id, impact: v.impact, help: v.help, nodes: v.nodes.map((n) => n.target.join(' ')) }));
    });
    out.pages.push(name);
    for (const v of res) out.violations.push({ page: name, ...v });
  }
  const text = async (sel) => (await page.locator(sel).first().innerText()).trim();
  const step = (s) => out.steps.push(s);

  let res = await page.goto(url);
  step({ page: 'manage', status: res.status(), lang: await page.getAttribute('html', 'lang'), h1: await text('h1'), status_text: await text('#status'), body: await text('main') });
  // The first Tab lands on the skip link, and focus is visible.
  await page.keyboard.press('Tab');
  step({ focus: await page.evaluate(() => document.activeElement.className),
    outline: await page.evaluate(() => getComputedStyle(document.activeElement).outlineStyle) });
  await audit('manage (sv)');

  await page.getByRole('link', { name: 'In English' }).click();
  step({ page: 'manage-en', lang: await page.getAttribute('html', 'lang'), h1: await text('h1') });
  await audit('manage (en)');
  await page.getByRole('link', { name: 'På svenska' }).click();

  await page.getByRole('link', { name: 'Välj en ny tid' }).click();
  step({ page: 'days', h1: await text('h1') });
  await audit('choose a day');
  const days = page.locator('ul.days a');
  await days.nth((await days.count()) - 1).click();
  await audit('choose a time');
  const first = page.locator('input[name="start"]').first();
  const chosen = await first.getAttribute('value');
  await page.locator(`label[for="${await first.getAttribute('id')}"]`).click();
  await page.getByRole('button', { name: 'Fortsätt' }).click();
  step({ page: 'confirm', h1: await text('h1'), new_time: await text('#new-time') });
  await audit('confirm');
  res = await Promise.all([page.waitForNavigation(), page.getByRole('button', { name: 'Flytta mötet' }).click()]).then(([r]) => r);
  step({ page: 'moved', status: res.status(), notice: await text('[role="status"]') });
  out.moved_to = chosen;

  await page.getByLabel('Anledning (frivilligt)').fill('Jag har fått förhinder');
  res = await Promise.all([page.waitForNavigation(), page.getByRole('button', { name: 'Avboka mötet' }).click()]).then(([r]) => r);
  step({ page: 'cancelled', status: res.status(), notice: await text('[role="status"]'), status_text: await text('#status'),
    forms: await page.locator('form').count() });
  await audit('cancelled');

  res = await page.goto(url.replace(/.$/, (c) => (c === 'A' ? 'B' : 'A')));
  step({ page: 'tampered', status: res.status(), h1: await text('h1') });
  await audit('link does not work');
} finally {
  await browser.close();
}
console.log(JSON.stringify(out));
