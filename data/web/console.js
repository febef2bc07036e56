// SPDX-License-Identifier: LGPL-2.1-or-later
// The sipcast console: a live table of calls fed by the server-sent
// events of GET /rest-api/events, the REST methods behind forms and
// buttons, and WHEP playback of the selected call.
//
// Every request is a fetch() with credentials: 'omit' and, in production
// mode, an Authorization header of our own: the browser then never shows
// its Basic prompt (which could not be dismissed or signed out of), and
// the event stream carries the header too (EventSource cannot), so it is
// read as a fetch() body stream.

import { WhepPlayer, LevelMeter } from './whep.js';

const ACCOUNT_KEY = 'sipcast.sipAccount';
const CREDENTIALS_KEY = 'sipcast.credentials';
const ACCOUNT_FIELDS = ['sipLogin', 'sipAuthenticationName', 'sipDomain', 'sipOutboundProxy',
  'sipPort', 'sipRegisterRequired', 'appKey'];
const ENDED = new Set(['FINISH', 'FAILED', 'BUSY']);
const DTMF_KEYS = ['1', '2', '3', 'A', '4', '5', '6', 'B', '7', '8', '9', 'C', '*', '0', '#', 'D'];
const LOG_LINES = 60;

const $ = (id) => document.getElementById(id);

const state = {
  calls: new Map(),        // callId → Call object (as /call/find returns it)
  endedAt: new Map(),      // callId → ms the call was seen ending
  pushes: new Map(),       // mediaSessionId → Push object
  selected: null,          // callId
  authorization: sessionStorage.getItem(CREDENTIALS_KEY),
  events: null,            // AbortController of the event stream
  player: null,
  meter: null,
};

class HttpError extends Error {
  constructor(status, message) {
    super(message);
    this.status = status;
  }
}

function authHeaders() {
  return state.authorization ? { Authorization: state.authorization } : {};
}

// ---- REST ----

let loginWaiters = [];

function askForCredentials(message) {
  const dialog = $('login');
  $('login-error').textContent = message || '';
  if (!dialog.open)
    dialog.showModal();
  return new Promise((resolve) => loginWaiters.push(resolve));
}

async function rest(method, body = {}) {
  for (;;) {
    const response = await fetch(`/rest-api${method}`, {
      method: 'POST',
      credentials: 'omit',
      headers: { ...authHeaders(), 'Content-Type': 'application/json' },
      body: JSON.stringify(body),
    });
    if (response.status === 401) {
      await askForCredentials(state.authorization ? 'Wrong user or password.' : '');
      continue;
    }
    const text = await response.text();
    let data = null;
    try {
      data = text ? JSON.parse(text) : null;
    } catch (e) {
      data = null;
    }
    if (!response.ok)
      throw new HttpError(response.status, (data && data.message) || `HTTP ${response.status}`);
    return data;
  }
}

// ---- activity log ----

function log(message, kind = 'info') {
  const item = document.createElement('li');
  item.className = kind;
  const time = document.createElement('time');
  const now = new Date();
  time.dateTime = now.toISOString();
  time.textContent = now.toLocaleTimeString();
  item.append(time, ' ', message);
  const list = $('log');
  list.prepend(item);
  while (list.children.length > LOG_LINES)
    list.lastChild.remove();
}

async function attempt(what, action) {
  try {
    const result = await action();
    return result;
  } catch (error) {
    log(`${what}: ${error.message}`, 'error');
    return null;
  }
}

// ---- the call table ----

function formatDuration(ms) {
  if (!(ms >= 0))
    return '';
  const s = Math.floor(ms / 1000);
  const h = Math.floor(s / 3600);
  const m = Math.floor((s % 3600) / 60);
  const pad = (n) => String(n).padStart(2, '0');
  return h > 0 ? `${h}:${pad(m)}:${pad(s % 60)}` : `${m}:${pad(s % 60)}`;
}

function callDuration(call) {
  const started = Date.parse(call.startedAt);
  if (Number.isNaN(started))
    return '';
  const end = state.endedAt.get(call.callId) || Date.now();
  return formatDuration(end - started);
}

function codecs(call) {
  return [call.audioCodec, call.videoCodec].filter(Boolean).join(' + ') || '—';
}

function cell(text, className) {
  const td = document.createElement('td');
  if (className)
    td.className = className;
  td.textContent = text;
  return td;
}

function badge(text, kind) {
  const span = document.createElement('span');
  span.className = `badge ${kind || ''}`;
  span.textContent = text;
  return span;
}

function statusKind(status) {
  if (status === 'ESTABLISHED' || status === 'RTMP_STREAM_ACTIVE')
    return 'good';
  if (status === 'FAILED' || status === 'BUSY' || status === 'RTMP_CONNECTION_FAILED' ||
      status === 'RTMP_CONNECTION_LOST')
    return 'bad';
  if (status === 'FINISH')
    return 'done';
  return 'wait';
}

function renderRow(call) {
  const row = document.createElement('tr');
  row.dataset.callId = call.callId;
  row.dataset.status = call.status;
  if (call.callId === state.selected)
    row.classList.add('selected');

  const who = document.createElement('td');
  who.className = 'who';
  const id = document.createElement('div');
  id.className = 'call-id';
  id.textContent = call.callId;
  const parties = document.createElement('div');
  parties.className = 'muted';
  parties.textContent = `${call.caller || '?'} → ${call.callee || '?'}`;
  who.append(id, parties);
  row.append(who);

  row.append(cell(call.incoming ? 'incoming' : 'outgoing'));

  const status = document.createElement('td');
  status.className = 'status';
  status.append(badge(call.status, statusKind(call.status)));
  if (call.sipStatus != null)
    status.append(' ', badge(String(call.sipStatus), 'plain'));
  if (call.statusInfo) {
    const info = document.createElement('div');
    info.className = 'muted small';
    info.textContent = call.statusInfo;
    status.append(info);
  }
  row.append(status);

  const rtmp = document.createElement('td');
  rtmp.className = 'rtmp';
  if (call.rtmpStreamStatus) {
    rtmp.append(badge(call.rtmpStreamStatus.replace(/^RTMP_(STREAM_)?/, ''),
                      statusKind(call.rtmpStreamStatus)));
  } else {
    rtmp.append('—');
  }
  if (call.rtmpStreamStatusInfo) {
    const info = document.createElement('div');
    info.className = 'muted small';
    info.textContent = call.rtmpStreamStatusInfo;
    rtmp.append(info);
  }
  row.append(rtmp);

  row.append(cell(codecs(call), 'codecs'));
  row.append(cell(callDuration(call), 'duration'));

  const actions = document.createElement('td');
  actions.className = 'actions';
  const open = document.createElement('button');
  open.type = 'button';
  open.textContent = 'Open';
  open.setAttribute('aria-label', `Open call ${call.callId}`);
  open.addEventListener('click', () => select(call.callId, true));
  actions.append(open);
  if (!ENDED.has(call.status)) {
    const end = document.createElement('button');
    end.type = 'button';
    end.className = 'danger';
    end.textContent = 'Hang up';
    end.setAttribute('aria-label', `Hang up call ${call.callId}`);
    end.addEventListener('click', () => hangUp(call.callId));
    actions.append(end);
  }
  row.append(actions);
  return row;
}

function renderCalls() {
  const body = document.querySelector('#calls tbody');
  // Newest first: that is the one the operator just started.
  const calls = [...state.calls.values()].sort((a, b) =>
    String(b.startedAt).localeCompare(String(a.startedAt)));
  body.replaceChildren(...calls.map(renderRow));
  const live = calls.filter((c) => !ENDED.has(c.status)).length;
  $('no-calls').hidden = calls.length > 0;
  $('call-count').textContent = calls.length ? `${live} live, ${calls.length - live} ended` : '';
  renderDetail();
}

function tickDurations() {
  for (const row of document.querySelectorAll('#calls tbody tr')) {
    const call = state.calls.get(row.dataset.callId);
    if (call && !ENDED.has(call.status))
      row.querySelector('.duration').textContent = callDuration(call);
  }
}

function upsertCall(call) {
  const before = state.calls.get(call.callId);
  if (ENDED.has(call.status) && !state.endedAt.has(call.callId))
    state.endedAt.set(call.callId, Date.now());
  state.calls.set(call.callId, call);
  if (!before || before.status !== call.status)
    log(`${call.callId}: ${call.status}${call.statusInfo ? ` (${call.statusInfo})` : ''}`);
  if (state.selected === call.callId && ENDED.has(call.status))
    stopPlaying(false);
}

async function refreshCalls() {
  try {
    const calls = await rest('/call/find_all');
    state.calls.clear();
    for (const call of calls)
      upsertCall(call);
  } catch (error) {
    if (error.status === 404)
      state.calls.clear();
    else
      log(`Calls: ${error.message}`, 'error');
  }
  renderCalls();
}

async function refreshPushes() {
  try {
    const pushes = await rest('/push/find_all');
    state.pushes.clear();
    for (const push of pushes)
      state.pushes.set(push.mediaSessionId, push);
  } catch (error) {
    if (error.status === 404)
      state.pushes.clear();
  }
  renderPushes();
}

async function refreshStreams() {
  try {
    const streams = await rest('/stream/find_all');
    $('stream-names').replaceChildren(...streams.map((s) => {
      const option = document.createElement('option');
      option.value = s.name;
      return option;
    }));
  } catch (error) {
    $('stream-names').replaceChildren();
  }
}

// ---- the selected call ----

function fact(list, name, value) {
  const dt = document.createElement('dt');
  dt.textContent = name;
  const dd = document.createElement('dd');
  dd.textContent = value == null || value === '' ? '—' : String(value);
  list.append(dt, dd);
}

function renderDetail() {
  const call = state.selected ? state.calls.get(state.selected) : null;
  const panel = $('detail');
  panel.hidden = !call;
  if (!call)
    return;
  $('detail-heading').textContent = `Call ${call.callId}`;
  const facts = $('detail-facts');
  facts.replaceChildren();
  fact(facts, 'Status', `${call.status}${call.sipStatus != null ? ` (SIP ${call.sipStatus})` : ''}`);
  fact(facts, 'From', call.caller);
  fact(facts, 'To', call.callee);
  fact(facts, 'Stream', call.streamName);
  fact(facts, 'RTMP', call.rtmpUrl ? `${call.rtmpUrl} ${call.rtmpStream || ''}` : null);
  fact(facts, 'Codecs', codecs(call));
  if (call.width)
    fact(facts, 'Video', `${call.width}×${call.height}`);
  if (call.dtmfReceived)
    fact(facts, 'DTMF received', call.dtmfReceived);
  const live = !ENDED.has(call.status);
  for (const control of panel.querySelectorAll('.tools button, .tools input, .tools select, #hangup'))
    control.disabled = !live;
  $('play').disabled = !live && !state.player;
  renderPushes();
}

function renderPushes() {
  const call = state.selected ? state.calls.get(state.selected) : null;
  const list = $('pushes');
  if (!call) {
    list.replaceChildren();
    return;
  }
  const mine = [...state.pushes.values()].filter((p) => p.streamName === call.streamName);
  list.replaceChildren(...mine.map((push) => {
    const item = document.createElement('li');
    item.append(badge(push.status ? push.status.replace(/^RTMP_(STREAM_)?/, '') : '?',
                      statusKind(push.status)),
                ` ${push.rtmpUrl}${push.rtmpStream ? `/${push.rtmpStream}` : ''} `);
    const stop = document.createElement('button');
    stop.type = 'button';
    stop.className = 'quiet';
    stop.textContent = 'Stop';
    stop.setAttribute('aria-label', `Stop push to ${push.rtmpUrl}`);
    stop.addEventListener('click', () => attempt('Stop push', async () => {
      await rest('/push/terminate', { mediaSessionId: push.mediaSessionId });
      state.pushes.delete(push.mediaSessionId);
      renderPushes();
    }));
    item.append(stop);
    return item;
  }));
}

function select(callId, focus) {
  if (state.selected !== callId)
    stopPlaying();
  state.selected = callId;
  renderCalls();
  refreshStreams();
  if (focus)
    $('detail-heading').focus();
}

async function hangUp(callId) {
  await attempt(`Hang up ${callId}`, () => rest('/call/terminate', { callId }));
}

// ---- playback ----

function setPlayState(text) {
  $('play-state').textContent = text;
}

function stopPlaying(release = true) {
  if (state.meter) {
    state.meter.close();
    state.meter = null;
  }
  if (state.player) {
    state.player.stop(release);
    state.player = null;
  }
  const video = $('video');
  video.srcObject = null;
  video.classList.remove('has-video');
  $('level').value = 0;
  $('level').dataset.rms = '0';
  $('play').textContent = '▶ Play';
  $('play').setAttribute('aria-pressed', 'false');
  setPlayState('');
}

async function play() {
  if (state.player) {
    stopPlaying();
    return;
  }
  const call = state.calls.get(state.selected);
  if (!call)
    return;
  const player = new WhepPlayer(`/whep/${encodeURIComponent(call.streamName || call.callId)}`,
                                authHeaders());
  state.player = player;
  $('play').textContent = '■ Stop';
  $('play').setAttribute('aria-pressed', 'true');
  setPlayState('Connecting…');
  player.onstatechange = (s) => setPlayState(s === 'connected' ? 'Playing' : s);
  try {
    const stream = await player.start();
    if (state.player !== player)
      return;
    const video = $('video');
    video.srcObject = stream;
    video.addEventListener('resize', () => {
      video.classList.toggle('has-video', video.videoWidth > 0);
    });
    await video.play();
    state.meter = new LevelMeter(stream, (rms) => {
      const level = $('level');
      level.value = Math.min(1, rms * 4);
      level.dataset.rms = rms.toFixed(4);
    });
  } catch (error) {
    if (state.player === player) {
      stopPlaying();
      if (error.status === 401)
        await askForCredentials('Sign in to watch calls.');
      log(`Play ${call.callId}: ${error.message}`, 'error');
    }
  }
}

// ---- events ----

function setLive(text, kind) {
  const live = $('live');
  live.textContent = text;
  live.dataset.state = kind;
}

function applyEvent(type, data) {
  switch (type) {
  case 'call_status':
    if (data.call)
      upsertCall(data.call);
    break;
  case 'rtmp_status': {
    const call = state.calls.get(data.callId);
    if (call) {
      call.rtmpStreamStatus = data.rtmpStreamStatus;
      call.rtmpStreamStatusInfo = data.rtmpStreamStatusInfo;
    }
    log(`${data.callId}: RTMP ${data.rtmpStreamStatus}${data.rtmpStreamStatusInfo ? ` (${data.rtmpStreamStatusInfo})` : ''}`);
    break;
  }
  case 'dtmf': {
    const call = state.calls.get(data.callId);
    if (call)
      call.dtmfReceived = (call.dtmfReceived || '') + data.dtmf;
    log(`${data.callId}: DTMF ${data.dtmf} received (${data.method})`);
    break;
  }
  case 'push_status':
    if (data.push) {
      state.pushes.set(data.push.mediaSessionId, data.push);
      log(`Push ${data.push.streamName} → ${data.push.rtmpUrl}: ${data.push.status}`);
    }
    break;
  case 'injection_ended':
    log(`${data.callId}: injection ended`);
    break;
  default:
    return;
  }
  renderCalls();
}

// Parses a text/event-stream body (HTML "server-sent events"): "field:
// value" lines, a blank line ends an event.
async function readEvents(body, onevent) {
  const reader = body.pipeThrough(new TextDecoderStream()).getReader();
  let buffer = '';
  let event = { type: 'message', data: [] };
  for (;;) {
    const { value, done } = await reader.read();
    if (done)
      return;
    buffer += value;
    let newline;
    while ((newline = buffer.search(/\r\n|\r|\n/)) >= 0) {
      const line = buffer.slice(0, newline);
      buffer = buffer.slice(newline + (buffer.startsWith('\r\n', newline) ? 2 : 1));
      if (line === '') {
        if (event.data.length)
          onevent(event.type, event.data.join('\n'));
        event = { type: 'message', data: [] };
        continue;
      }
      if (line.startsWith(':'))
        continue;
      const colon = line.indexOf(':');
      const field = colon < 0 ? line : line.slice(0, colon);
      const val = colon < 0 ? '' : line.slice(colon + 1).replace(/^ /, '');
      if (field === 'event')
        event.type = val;
      else if (field === 'data')
        event.data.push(val);
    }
  }
}

let pollTimer = null;

async function followEvents() {
  let delay = 1000;
  for (;;) {
    const controller = new AbortController();
    state.events = controller;
    try {
      const response = await fetch('/rest-api/events', {
        credentials: 'omit',
        headers: { ...authHeaders(), Accept: 'text/event-stream' },
        signal: controller.signal,
      });
      if (response.status === 401) {
        setLive('Signed out', 'down');
        await askForCredentials('');
        continue;
      }
      if (response.status === 404 || response.status === 405) {
        // A gateway without the event stream: fall back to a slow poll.
        setLive('Live (polling)', 'poll');
        if (!pollTimer)
          pollTimer = setInterval(() => { refreshCalls(); refreshPushes(); }, 3000);
        return;
      }
      if (!response.ok || !response.body)
        throw new Error(`HTTP ${response.status}`);
      setLive('Live', 'up');
      delay = 1000;
      // Whatever happened while we were not listening.
      await Promise.all([refreshCalls(), refreshPushes()]);
      await readEvents(response.body, (type, data) => {
        try {
          applyEvent(type, JSON.parse(data));
        } catch (e) {
          log(`Unreadable event ${type}`, 'error');
        }
      });
      setLive('Reconnecting…', 'down');
    } catch (error) {
      setLive('Reconnecting…', 'down');
    }
    await new Promise((resolve) => setTimeout(resolve, delay));
    delay = Math.min(delay * 2, 15000);
  }
}

// ---- forms ----

function formObject(form) {
  const body = {};
  for (const element of form.elements) {
    if (!element.name)
      continue;
    if (element.type === 'checkbox')
      body[element.name] = element.checked;
    else if (element.value.trim() !== '')
      body[element.name] = element.value.trim();
  }
  return body;
}

function restoreAccount(form) {
  let saved = null;
  try {
    saved = JSON.parse(localStorage.getItem(ACCOUNT_KEY));
  } catch (e) {
    saved = null;
  }
  if (!saved)
    return;
  for (const name of ACCOUNT_FIELDS) {
    const element = form.elements[name];
    if (!element || !(name in saved))
      continue;
    if (element.type === 'checkbox')
      element.checked = Boolean(saved[name]);
    else
      element.value = saved[name];
  }
  if (saved.sipLogin)
    form.querySelector('details').open = true;
}

function saveAccount(body) {
  const account = {};
  for (const name of ACCOUNT_FIELDS) {
    if (name in body)
      account[name] = body[name];
  }
  localStorage.setItem(ACCOUNT_KEY, JSON.stringify(account));
}

function setUpForms() {
  const start = $('start-form');
  restoreAccount(start);
  start.addEventListener('submit', async (event) => {
    event.preventDefault();
    const body = formObject(start);
    if (!body.callId)
      body.callId = `console-${Date.now().toString(36)}`;
    saveAccount(body);
    const ok = await attempt('Start call', () => rest('/call/startup', body));
    if (ok !== null) {
      log(`${body.callId}: calling ${body.callee}`);
      start.elements.callId.value = '';
      select(body.callId, false);
      if (!state.calls.has(body.callId)) {
        const found = await attempt('Find call', () => rest('/call/find', { callId: body.callId }));
        if (found && found[0])
          upsertCall(found[0]);
        renderCalls();
      }
    }
  });

  const keypad = $('keypad');
  for (const key of DTMF_KEYS) {
    const button = document.createElement('button');
    button.type = 'button';
    button.textContent = key;
    button.setAttribute('aria-label', `Send DTMF ${key}`);
    button.addEventListener('click', () => attempt(`DTMF ${key}`, async () => {
      await rest('/call/send_dtmf', { callId: state.selected, dtmf: key, type: $('dtmf-type').value });
      log(`${state.selected}: DTMF ${key} sent`);
    }));
    keypad.append(button);
  }

  $('inject-stream-form').addEventListener('submit', (event) => {
    event.preventDefault();
    const streamName = $('inject-stream').value.trim();
    attempt('Inject stream', async () => {
      await rest('/call/inject_stream', { callId: state.selected, streamName });
      log(`${state.selected}: injecting ${streamName}`);
    });
  });
  $('inject-stop').addEventListener('click', () => attempt('Stop injecting', async () => {
    await rest('/call/inject_stream/terminate', { callId: state.selected });
    log(`${state.selected}: injection stopped`);
  }));

  const sound = $('inject-sound-form');
  sound.addEventListener('submit', (event) => {
    event.preventDefault();
    const body = formObject(sound);
    attempt('Play sound', async () => {
      await rest('/call/inject_sound', { callId: state.selected, ...body });
      log(`${state.selected}: playing ${body.fileName}`);
    });
  });

  const push = $('push-form');
  push.addEventListener('submit', (event) => {
    event.preventDefault();
    const call = state.calls.get(state.selected);
    const body = { ...formObject(push), streamName: call.streamName };
    attempt('Start push', async () => {
      const created = await rest('/push/startup', body);
      if (created && created.mediaSessionId)
        state.pushes.set(created.mediaSessionId, created);
      renderPushes();
    });
  });

  $('hangup').addEventListener('click', () => hangUp(state.selected));
  $('play').addEventListener('click', play);
  $('detail-close').addEventListener('click', () => {
    stopPlaying();
    state.selected = null;
    renderCalls();
    $('calls-heading').focus();
  });

  $('login-form').addEventListener('submit', () => {
    const form = $('login-form');
    const user = form.elements.user.value;
    const password = form.elements.password.value;
    // btoa takes Latin-1: encode UTF-8 first (RFC 7617 charset=UTF-8).
    const bytes = new TextEncoder().encode(`${user}:${password}`);
    state.authorization = `Basic ${btoa(String.fromCharCode(...bytes))}`;
    sessionStorage.setItem(CREDENTIALS_KEY, state.authorization);
    form.elements.password.value = '';
    $('logout').hidden = false;
    const waiters = loginWaiters;
    loginWaiters = [];
    for (const resolve of waiters)
      resolve();
  });
  $('logout').addEventListener('click', () => {
    state.authorization = null;
    sessionStorage.removeItem(CREDENTIALS_KEY);
    $('logout').hidden = true;
    stopPlaying();
    if (state.events)
      state.events.abort();
  });
  $('logout').hidden = !state.authorization;
}

async function start() {
  setUpForms();
  setInterval(tickDurations, 1000);
  // In production mode, ask before the first request rather than after
  // its 401.
  try {
    const config = await (await fetch('/console/config.json', { credentials: 'omit' })).json();
    if (config.production && !state.authorization)
      await askForCredentials('');
  } catch (error) {
    log(`Console configuration: ${error.message}`, 'error');
  }
  followEvents();
}

start();
