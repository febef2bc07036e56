// SPDX-License-Identifier: LGPL-2.1-or-later
// Opens the bare WHEP player (whep-client.html, served by the test from
// another origin than sipcast) in @viewers tabs at once, lets them play
// for a while, then ends each session with DELETE.
//   node whep-page.mjs '{"page": URL, "viewers": 2, "seconds": 1, "shotDir": DIR,
//                        "video": false, "shot": "whep-bare-page.png"}'
// prints "ready", then takes {"endpoint": URL} on stdin, and prints one
// JSON object: what each viewer received.

import { launch, params, ready, watchErrors, until, finish } from './browser.mjs';

const p = params();
const browser = await launch();
const result = { viewers: [], errors: [] };
try {
  const pages = [];
  for (let i = 0; i < (p.viewers || 1); i++) {
    // A context (window) each: a background tab would be throttled.
    const context = await browser.newContext({ viewport: { width: 800, height: 600 } });
    const page = await context.newPage();
    watchErrors(page, result.errors);
    pages.push(page);
  }
  await ready(p);
  const started = Date.now();
  await Promise.all(pages.map((page) => page.goto(
    `${p.page}?endpoint=${encodeURIComponent(p.endpoint)}`
    + (p.auth ? `&auth=${encodeURIComponent(p.auth)}` : ''))));
  for (const page of pages) {
    await until(page, (video) => window.whep.error
      || (window.whep.state === 'connected' && document.getElementById('video').currentTime > 0.3
          && window.whep.maxRms > 0.02
          && (!video || document.getElementById('video').videoWidth > 0)),
    !!p.video, 10000).catch(() => null);
  }
  result.playingAfterMs = Date.now() - started;
  await pages[0].waitForTimeout((p.seconds || 1) * 1000);
  if (p.shotDir)
    await pages[0].screenshot({ path: `${p.shotDir}/${p.shot || 'whep-bare-page.png'}` });
  for (const page of pages) {
    const viewer = await page.evaluate(async () => {
      const audio = {};
      const video = {};
      (await window.pc.getStats()).forEach((s) => {
        if (s.type === 'inbound-rtp' && s.kind === 'audio')
          Object.assign(audio, { packets: s.packetsReceived, energy: s.totalAudioEnergy });
        if (s.type === 'inbound-rtp' && s.kind === 'video')
          Object.assign(video, { packets: s.packetsReceived, framesDecoded: s.framesDecoded,
                                 keyFramesDecoded: s.keyFramesDecoded });
      });
      return {
        ...window.whep,
        audio,
        video,
        answer: window.pc.remoteDescription && window.pc.remoteDescription.sdp,
        currentTime: document.getElementById('video').currentTime,
        videoWidth: document.getElementById('video').videoWidth,
        videoHeight: document.getElementById('video').videoHeight,
      };
    });
    if (!viewer.error && viewer.location)
      viewer.deleteStatus = await page.evaluate(() => window.stopWhep()).catch((e) => String(e));
    result.viewers.push(viewer);
  }
} catch (error) {
  result.errors.push(`test: ${error.message}`);
} finally {
  await browser.close();
}
finish(result);
