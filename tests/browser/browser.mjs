// SPDX-License-Identifier: LGPL-2.1-or-later
// What the browser tests share: Debian's chromium driven by
// playwright-core, with fake media devices, autoplay allowed, and
// WebRTC allowed on loopback (the tests' only network: sipcast announces
// ICE candidates on 127.0.0.1 only).

import { chromium } from 'playwright-core';

export const CHROMIUM_ARGS = [
  '--no-sandbox',
  '--use-fake-ui-for-media-stream',
  '--use-fake-device-for-media-stream',
  '--autoplay-policy=no-user-gesture-required',
  '--allow-loopback-in-peer-connection',
  // Host candidates as addresses, not mDNS names nobody here resolves.
  '--disable-features=WebRtcHideLocalIpsWithMdns',
];

export async function launch() {
  return chromium.launch({
    executablePath: process.env.CHROMIUM || '/usr/bin/chromium',
    headless: true,
    args: CHROMIUM_ARGS,
  });
}

// The input of a test: one JSON object as the first argument.
export function params() {
  return JSON.parse(process.argv[2] || '{}');
}

// Collects what a page reports as errors: console.error, uncaught
// exceptions, failed requests (but not the answers a test provokes).
export function watchErrors(page, errors) {
  page.on('console', (message) => {
    if (message.type() === 'error') {
      const url = message.location() && message.location().url;
      errors.push(`console: ${message.text()}${url ? ` [${url}]` : ''}`);
    }
  });
  page.on('pageerror', (error) => errors.push(`exception: ${error.message}`));
}

// Polls @fn in the page until it returns a truthy value.
export async function until(page, fn, arg, timeout = 10000) {
  const handle = await page.waitForFunction(fn, arg, { timeout, polling: 100 });
  return handle.jsonValue();
}

// Tells the test the browser is up, and waits for its go: one line of
// JSON on stdin (merged into the parameters).  Chromium takes seconds to
// start; the far end's capture is only a few seconds long.
export async function ready(p) {
  process.stdout.write('ready\n');
  const line = await new Promise((resolve) => {
    let buffer = '';
    process.stdin.setEncoding('utf8');
    process.stdin.on('data', (chunk) => {
      buffer += chunk;
      if (buffer.includes('\n'))
        resolve(buffer.slice(0, buffer.indexOf('\n')));
    });
  });
  process.stdin.pause();
  Object.assign(p, JSON.parse(line));
  return p;
}

export function finish(result) {
  process.stdout.write(`${JSON.stringify(result)}\n`);
}
