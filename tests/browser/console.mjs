// SPDX-License-Identifier: LGPL-2.1-or-later
// Drives the console as an operator would: sign in when asked, start a
// call with the form, watch it reach ESTABLISHED without reloading, open
// it, play it (keyboard), hang up, watch FINISH; screenshots on the way.
//   node console.mjs '{"base": URL, "shotDir": DIR, "video": false,
//                      "credentials": ["admin", "admin"] or null}'
// prints "ready", takes {"call": {callee, sipDomain, sipPort, callId,
// rtmpUrl, rtmpStream}} on
// stdin, and prints one JSON object of what it saw.

import { launch, params, ready, watchErrors, until, finish } from './browser.mjs';

const p = params();
const browser = await launch();
const result = { errors: [], steps: [] };
const step = (name) => result.steps.push(name);

async function shot(page, name) {
  if (p.shotDir)
    await page.screenshot({ path: `${p.shotDir}/${name}.png`, fullPage: false });
}

try {
  const context = await browser.newContext({ viewport: { width: 1280, height: 800 } });
  const page = await context.newPage();
  watchErrors(page, result.errors);
  await page.goto(p.base + '/');

  if (p.credentials) {
    // Production mode: the console asks (its own dialog, not the
    // browser's Basic prompt).
    await page.waitForSelector('#login[open]', { timeout: 10000 });
    result.askedForCredentials = true;
    await page.fill('#login input[name=user]', p.credentials[0]);
    await page.fill('#login input[name=password]', p.credentials[1]);
    await page.press('#login input[name=password]', 'Enter');
    step('signed in');
  }
  result.live = await until(page, () => {
    const state = document.getElementById('live').dataset.state;
    return state === 'up' || state === 'poll' ? state : null;
  }, null, 10000);
  step('events');

  await ready(p);
  const call = p.call;

  // The start form; the SIP account part is remembered for next time.
  await page.click('#start-form summary');
  await page.fill('#start-form input[name=callee]', call.callee);
  await page.fill('#start-form input[name=callId]', call.callId);
  await page.fill('#start-form input[name=sipLogin]', 'sipcast');
  await page.fill('#start-form input[name=sipDomain]', call.sipDomain);
  await page.fill('#start-form input[name=sipPort]', String(call.sipPort));
  if (call.rtmpUrl) {
    await page.fill('#start-form input[name=rtmpUrl]', call.rtmpUrl);
    await page.fill('#start-form input[name=rtmpStream]', call.rtmpStream || '');
  }
  if (p.video)
    await page.check('#start-form input[name=hasVideo]');
  const started = Date.now();
  await page.click('#start-form button[type=submit]');

  const row = `#calls tbody tr[data-call-id="${call.callId}"]`;
  await page.waitForSelector(`${row}[data-status="ESTABLISHED"]`, { timeout: 10000 });
  result.establishedAfterMs = Date.now() - started;
  result.rowText = await page.textContent(row);
  step('established');

  // The details panel opened with the call; play it from the keyboard.
  await page.waitForSelector('#detail:not([hidden])');
  await page.focus('#play');
  await page.keyboard.press('Enter');
  const playStarted = Date.now();
  result.playing = await until(page, (video) => {
    const v = document.getElementById('video');
    const rms = Number(document.getElementById('level').dataset.rms || 0);
    return v.currentTime > 0.5 && rms > 0.02 && (!video || v.videoWidth > 0)
      ? { currentTime: v.currentTime, rms, videoWidth: v.videoWidth } : null;
  }, p.video, 15000).catch(() => null);
  result.playingAfterMs = Date.now() - playStarted;
  // A second later: time goes on, the meter keeps moving.
  await page.waitForTimeout(1000);
  result.afterSecond = await page.evaluate(() => ({
    currentTime: document.getElementById('video').currentTime,
    videoWidth: document.getElementById('video').videoWidth,
    rms: Number(document.getElementById('level').dataset.rms || 0),
    playState: document.getElementById('play-state').textContent,
  }));
  result.rowTextPlaying = await page.textContent(row);
  await shot(page, 'console-playing');
  step('played');

  await page.click('#hangup');
  await page.waitForSelector(`${row}[data-status="FINISH"]`, { timeout: 10000 });
  result.finished = true;
  await shot(page, 'console-finished');
  step('finished');

  // Phone size: the table turns into cards, nothing overflows sideways.
  await page.setViewportSize({ width: 390, height: 844 });
  await page.waitForTimeout(300);
  result.phoneOverflow = await page.evaluate(
    () => document.documentElement.scrollWidth - document.documentElement.clientWidth);
  await shot(page, 'console-phone');

  // The SIP account is there again after a reload.
  await page.reload();
  result.rememberedLogin = await page.inputValue('#start-form input[name=sipLogin]');
  result.rememberedPort = await page.inputValue('#start-form input[name=sipPort]');
  result.rememberedPassword = await page.inputValue('#start-form input[name=sipPassword]');
  step('reloaded');
} catch (error) {
  result.errors.push(`test: ${error.message}`);
} finally {
  await browser.close();
}
finish(result);
