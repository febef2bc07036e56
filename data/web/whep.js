// SPDX-License-Identifier: LGPL-2.1-or-later
// A WHEP client (draft-ietf-wish-whep): the browser offers to receive
// audio and video, POSTs the offer, and plays what the answer sends.
// No trickle ICE: the offer goes out once gathering is complete (or after
// a short wait), as sipcast answers PATCH with 405.

const GATHER_WAIT_MS = 1500;

function gatheringDone(pc) {
  if (pc.iceGatheringState === 'complete')
    return Promise.resolve();
  return new Promise((resolve) => {
    const timer = setTimeout(done, GATHER_WAIT_MS);
    function done() {
      clearTimeout(timer);
      pc.removeEventListener('icegatheringstatechange', check);
      resolve();
    }
    function check() {
      if (pc.iceGatheringState === 'complete')
        done();
    }
    pc.addEventListener('icegatheringstatechange', check);
  });
}

export class WhepPlayer {
  // url: the WHEP endpoint (/whep/NAME); headers: extra request headers
  // (Authorization in production mode).
  constructor(url, headers = {}) {
    this.url = url;
    this.headers = headers;
    this.pc = null;
    this.location = null;
    this.stream = new MediaStream();
    this.onstatechange = null;
  }

  async start() {
    const pc = new RTCPeerConnection();
    this.pc = pc;
    pc.addTransceiver('audio', { direction: 'recvonly' });
    pc.addTransceiver('video', { direction: 'recvonly' });
    pc.addEventListener('track', (event) => this.stream.addTrack(event.track));
    pc.addEventListener('connectionstatechange', () => {
      if (this.onstatechange)
        this.onstatechange(pc.connectionState);
    });

    await pc.setLocalDescription(await pc.createOffer());
    await gatheringDone(pc);

    const response = await fetch(this.url, {
      method: 'POST',
      credentials: 'omit',
      headers: { ...this.headers, 'Content-Type': 'application/sdp' },
      body: pc.localDescription.sdp,
    });
    if (response.status !== 201) {
      let message = `HTTP ${response.status}`;
      try {
        const body = await response.json();
        message = body.message || message;
      } catch (e) {
        // Not JSON: keep the status.
      }
      pc.close();
      this.pc = null;
      const error = new Error(message);
      error.status = response.status;
      throw error;
    }
    const location = response.headers.get('Location');
    this.location = location ? new URL(location, new URL(this.url, window.location.href)).href : null;
    await pc.setRemoteDescription({ type: 'answer', sdp: await response.text() });
    return this.stream;
  }

  // @release: end the session on the server (DELETE); not needed when
  // the stream itself has ended, which ends every session.
  async stop(release = true) {
    const location = release ? this.location : null;
    this.location = null;
    if (this.pc) {
      this.pc.close();
      this.pc = null;
    }
    for (const track of this.stream.getTracks()) {
      track.stop();
      this.stream.removeTrack(track);
    }
    if (location) {
      try {
        await fetch(location, { method: 'DELETE', credentials: 'omit', headers: this.headers });
      } catch (e) {
        // The session ends anyway once its ICE times out.
      }
    }
  }
}

// The audio level of a stream (RMS of the waveform, 0..1) through a
// WebAudio analyser, reported on every animation frame.
export class LevelMeter {
  constructor(stream, onlevel) {
    this.context = new AudioContext();
    this.source = this.context.createMediaStreamSource(stream);
    this.analyser = this.context.createAnalyser();
    this.analyser.fftSize = 1024;
    this.source.connect(this.analyser);
    this.samples = new Float32Array(this.analyser.fftSize);
    this.onlevel = onlevel;
    this.frame = requestAnimationFrame(() => this.tick());
  }

  tick() {
    this.analyser.getFloatTimeDomainData(this.samples);
    let sum = 0;
    for (const s of this.samples)
      sum += s * s;
    this.onlevel(Math.sqrt(sum / this.samples.length));
    this.frame = requestAnimationFrame(() => this.tick());
  }

  close() {
    cancelAnimationFrame(this.frame);
    this.source.disconnect();
    this.context.close();
  }
}
