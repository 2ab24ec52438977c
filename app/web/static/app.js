// The transcoder page: upload a file straight to storage, start a job, follow
// it to its downloads, and read the inbox. Plain browser JavaScript, no
// framework and no build step; it talks only to the service's JSON API.
'use strict';

(() => {
  const $ = (id) => document.getElementById(id);

  // ---- Words ---------------------------------------------------------------

  const STATE_WORDS = {
    SUBMITTED: 'Waiting to start',
    PROGRESSING: 'Transcoding',
    COMPLETE: 'Done',
    ERROR: 'Failed',
    CANCELED: 'Canceled',
  };
  const OPEN = new Set(['SUBMITTED', 'PROGRESSING']);
  const POLL_MS = 4000;
  // How often a page follows an open job where the service asks pages to
  // poll (on Lambda, where an open event stream would hold an execution).
  const FOLLOW_POLL_MS = 3000;

  const stateWords = (s) => STATE_WORDS[s] || 'Unknown';
  const presetLabel = (name) => (name || '').toUpperCase();
  const baseName = (uri) => (uri || '').split('/').pop();

  // when says when something happened: the date and time, or with timeOnly
  // the time to the second (the job's history, whose date is its start's).
  function when(iso, timeOnly) {
    const d = new Date(iso);
    if (!iso || Number.isNaN(d.getTime()) || d.getFullYear() < 2000) return '';
    return timeOnly
      ? d.toLocaleTimeString(undefined, { timeStyle: 'medium' })
      : d.toLocaleString(undefined, { dateStyle: 'medium', timeStyle: 'short' });
  }

  function size(n) {
    if (n < 1024) return n + ' bytes';
    const units = ['KB', 'MB', 'GB'];
    let i = -1;
    do { n /= 1024; i++; } while (n >= 1024 && i < units.length - 1);
    return (n < 10 ? n.toFixed(1) : Math.round(n)) + ' ' + units[i];
  }

  function seconds(ms) {
    if (!ms) return '';
    const s = ms / 1000;
    if (s < 60) return s.toFixed(1) + ' s';
    return Math.floor(s / 60) + ' min ' + Math.round(s % 60) + ' s';
  }

  // el builds an element; children are nodes or strings (always text, never HTML).
  function el(tag, attrs, ...children) {
    const e = document.createElement(tag);
    for (const [k, v] of Object.entries(attrs || {})) {
      if (v === false || v == null) continue;
      e.setAttribute(k, v === true ? '' : String(v));
    }
    e.append(...children.filter((c) => c != null && c !== ''));
    return e;
  }

  // renderList makes list show one element per entry of entries (each with
  // an id), in their order. items keeps each entry's element by id, so that
  // an entry keeps its element across renders; item(entry) returns it, made
  // or brought up to date. Elements of entries no longer there are removed,
  // and only what is out of place moves, so focus stays put.
  function renderList(list, entries, items, item) {
    const ids = new Set(entries.map((x) => x.id));
    for (const [id, li] of items) {
      if (!ids.has(id)) { li.remove(); items.delete(id); }
    }
    entries.forEach((x, i) => {
      const li = item(x);
      if (list.children[i] !== li) list.insertBefore(li, list.children[i] || null);
    });
    list.setAttribute('aria-busy', 'false');
  }

  // ---- Messages to the user -------------------------------------------------

  function showError(message) {
    $('alert-text').textContent = message;
    $('alert').hidden = false;
    $('alert').scrollIntoView({ block: 'nearest' });
  }

  function hideError() {
    $('alert').hidden = true;
    $('alert-text').textContent = '';
  }

  // announce says something to screen reader users through the live region.
  function announce(message) {
    const live = $('announce');
    live.textContent = '';
    setTimeout(() => { live.textContent = message; }, 50);
  }

  // ---- The API --------------------------------------------------------------

  class APIError extends Error {
    constructor(message, status) {
      super(message);
      this.status = status;
    }
  }

  let csrfToken = '';
  let sessionReady = null;
  // live is how the service wants jobs followed: 'stream' or 'poll'.
  let live = 'stream';

  // session asks for (or renews) the owner session and its CSRF token; the
  // server sets the session cookie on the first visit (or, on a service by
  // invitation, once the browser has opened an invite link).
  function session(renew) {
    if (!sessionReady || renew) {
      sessionReady = request('GET', '/session').then((s) => {
        csrfToken = (s && s.csrfToken) || '';
        live = (s && s.live) || 'stream';
        return s;
      });
      sessionReady.catch(() => { sessionReady = null; });
    }
    return sessionReady;
  }

  async function request(method, path, body) {
    const headers = { Accept: 'application/json' };
    const init = { method, headers, credentials: 'same-origin', cache: 'no-store' };
    if (body !== undefined) {
      headers['Content-Type'] = 'application/json';
      init.body = JSON.stringify(body);
    }
    if (method !== 'GET') headers['X-CSRF-Token'] = csrfToken;
    let res;
    try {
      res = await fetch(path, init);
    } catch {
      throw new APIError("We couldn't reach the service. Check your connection and try again.", 0);
    }
    const text = await res.text();
    let data = null;
    try { data = text ? JSON.parse(text) : null; } catch { data = null; }
    if (!res.ok) {
      const said = data && typeof data.error === 'string' && data.error;
      throw new APIError(said || `Something went wrong on our side (the service answered ${res.status}). Please try again.`, res.status);
    }
    return data;
  }

  // api sends one request; a change refused for its CSRF token (an expired
  // session) is sent once more with a fresh token.
  async function api(method, path, body) {
    if (method !== 'GET') await session();
    try {
      return await request(method, path, body);
    } catch (e) {
      if (method === 'GET' || e.status !== 403) throw e;
      await session(true);
      return request(method, path, body);
    }
  }

  // ---- Views and routes -----------------------------------------------------

  const VIEWS = ['home', 'job', 'inbox'];
  let currentView = '';

  function show(view, focus) {
    for (const v of VIEWS) $('view-' + v).hidden = v !== view;
    for (const [link, v] of [[$('nav-home'), 'home'], [$('nav-inbox'), 'inbox']]) {
      if (v === view) link.setAttribute('aria-current', 'page');
      else link.removeAttribute('aria-current');
    }
    if (view !== 'job') document.title = (view === 'inbox' ? 'Inbox' : 'My jobs') + ' – Transcoder';
    currentView = view;
    if (focus) {
      const h = $(view + '-title');
      h.focus({ preventScroll: true });
      window.scrollTo(0, 0);
    }
  }

  // route shows the view the fragment names; focus is set when the user
  // moved (not on the first load), to put the keyboard on the new view.
  function route(focus) {
    if (focus) hideError();
    const hash = location.hash || '#/';
    const m = hash.match(/^#\/jobs\/([^/?#]+)$/);
    if (m) {
      show('job', focus);
      openJob(decodeURIComponent(m[1]));
      return;
    }
    closeJob();
    if (hash === '#/inbox') {
      show('inbox', focus);
      refreshInbox();
    } else {
      show('home', focus);
      refreshJobs();
    }
  }

  // ---- Upload ---------------------------------------------------------------

  const TYPES = {
    wav: 'audio/wav', mp3: 'audio/mpeg', flac: 'audio/flac', m4a: 'audio/mp4', aac: 'audio/aac',
    ogg: 'audio/ogg', oga: 'audio/ogg', opus: 'audio/ogg', aif: 'audio/aiff', aiff: 'audio/aiff',
    wma: 'audio/x-ms-wma', mp4: 'video/mp4', m4v: 'video/mp4', mov: 'video/quicktime',
    webm: 'video/webm', mkv: 'video/x-matroska', avi: 'video/x-msvideo',
  };

  // contentType is the file's media type, from the browser or else its extension.
  function contentType(file) {
    if (file.type) return file.type;
    const ext = file.name.includes('.') ? file.name.split('.').pop().toLowerCase() : '';
    return TYPES[ext] || '';
  }

  let chosen = null;
  let defaultName = '';
  let uploading = false;

  function choose(file) {
    chosen = file || null;
    const name = $('name');
    if (!chosen) {
      $('file-chosen').textContent = 'You can also drop a file on this box.';
      return;
    }
    $('file-chosen').textContent = `Chosen: ${chosen.name} (${size(chosen.size)})`;
    if (!name.value.trim() || name.value === defaultName) name.value = chosen.name;
    defaultName = chosen.name;
  }

  function setupDropZone() {
    const zone = $('drop');
    const hasFiles = (e) => e.dataTransfer && Array.from(e.dataTransfer.types || []).includes('Files');
    // A file dropped next to the zone would replace the page: keep it.
    for (const type of ['dragover', 'drop']) {
      window.addEventListener(type, (e) => { if (hasFiles(e)) e.preventDefault(); });
    }
    zone.addEventListener('dragenter', (e) => { if (hasFiles(e)) zone.classList.add('over'); });
    zone.addEventListener('dragover', (e) => {
      if (!hasFiles(e)) return;
      e.preventDefault();
      e.dataTransfer.dropEffect = 'copy';
      zone.classList.add('over');
    });
    zone.addEventListener('dragleave', (e) => { if (!zone.contains(e.relatedTarget)) zone.classList.remove('over'); });
    zone.addEventListener('drop', (e) => {
      e.preventDefault();
      zone.classList.remove('over');
      const files = e.dataTransfer.files;
      if (!files || !files.length) return;
      try { $('file').files = files; } catch { /* older browsers: keep it in chosen only */ }
      choose(files[0]);
      announce(`Chosen: ${files[0].name}`);
    });
    $('file').addEventListener('change', () => choose($('file').files[0]));
  }

  async function loadPresets() {
    const hint = $('presets-hint');
    try {
      const presets = await api('GET', '/presets');
      $('preset-list').replaceChildren(...presets.map((p, i) => {
        const id = 'preset-' + p.name;
        const box = el('input', { type: 'checkbox', id, name: 'preset', value: p.name });
        box.defaultChecked = i === 0;
        return el('li', {}, box, el('label', { for: id },
          el('strong', {}, presetLabel(p.name)), ' ', el('span', { class: 'desc' }, p.description || '')));
      }));
      hint.textContent = 'Pick one or more: you get one file to download for each.';
    } catch (e) {
      hint.textContent = "We couldn't load the formats: " + e.message;
    }
  }

  // formProblem tells the user what to fix and takes them there.
  function formProblem(message, field) {
    showError(message);
    if (field) field.focus();
  }

  function setUploading(on, filename) {
    uploading = on;
    const start = $('start');
    start.setAttribute('aria-disabled', String(on));
    start.textContent = on ? 'Sending…' : 'Start';
    if (on) {
      $('upload-label').textContent = `Sending ${filename}`;
      $('upload-progress').hidden = false;
    }
  }

  let announcedUpload = -1;

  function setUploadProgress(percent) {
    const p = Math.max(0, Math.min(100, Math.floor(percent)));
    $('upload-bar').value = p;
    $('upload-pct').textContent = p + '%';
    const step = Math.floor(p / 25) * 25;
    if (step > announcedUpload) {
      announcedUpload = step;
      announce(p === 100 ? 'Your file is sent.' : `Sending your file: ${step}%`);
    }
  }

  // put sends the file to the presigned URL, reporting progress on the bar.
  function put(upload, file) {
    return new Promise((resolve, reject) => {
      const xhr = new XMLHttpRequest();
      xhr.open(upload.method || 'PUT', upload.url);
      for (const [k, v] of Object.entries(upload.headers || {})) xhr.setRequestHeader(k, v);
      xhr.upload.onprogress = (e) => {
        if (e.lengthComputable && e.total > 0) setUploadProgress((e.loaded * 100) / e.total);
      };
      xhr.onload = () => {
        if (xhr.status >= 200 && xhr.status < 300) {
          setUploadProgress(100);
          resolve();
          return;
        }
        const why = xhr.responseXML && xhr.responseXML.querySelector('Message');
        reject(new APIError(`The storage refused your file${why ? ': ' + why.textContent : ` (it answered ${xhr.status})`}. Please try again.`, xhr.status));
      };
      xhr.onerror = () => reject(new APIError("Your file could not be sent. Check your connection and try again.", 0));
      xhr.onabort = () => reject(new APIError('Sending your file was stopped.', 0));
      xhr.send(file);
    });
  }

  // redeemInvite opens a session with the invite the page's link carries,
  // then takes the invite out of the address bar (and so out of history).
  async function redeemInvite() {
    const params = new URLSearchParams(location.search);
    const invite = params.get('invite');
    if (!invite) return;
    params.delete('invite');
    const rest = params.toString();
    history.replaceState(null, '', location.pathname + (rest ? '?' + rest : '') + location.hash);
    const s = await request('POST', '/session', { invite });
    csrfToken = (s && s.csrfToken) || '';
    live = (s && s.live) || 'stream';
    sessionReady = Promise.resolve(s);
    announce('You are signed in.');
  }

  // signedOut is true on a service by invitation until this browser has
  // opened an invite link: there are no jobs or messages to show yet.
  let signedOut = false;

  // showInviteOnly tells a browser without a session how to get one, in
  // place of everything it cannot use yet.
  function showInviteOnly() {
    signedOut = true;
    $('invite-only').hidden = false;
    $('upload-form').hidden = true;
    $('jobs-card').hidden = true;
    $('nav-inbox').parentElement.hidden = true;
  }

  async function startJob(ev) {
    ev.preventDefault();
    if (uploading) return;
    hideError();
    const file = chosen;
    const boxes = Array.from(document.querySelectorAll('#preset-list input[type=checkbox]'));
    const presets = boxes.filter((b) => b.checked).map((b) => b.value);
    if (!file) return formProblem('Please choose a file first.', $('file'));
    if (!boxes.length) return formProblem("We couldn't load the formats, so nothing can start. Reload the page to try again.");
    if (!presets.length) return formProblem('Please pick at least one format.', boxes[0]);
    const type = contentType(file);
    if (!/^(audio|video)\//.test(type)) {
      return formProblem(`${file.name} doesn't look like an audio or video file. Please choose one, for example a .wav, .mp3 or .mp4 file.`, $('file'));
    }
    if (file.size === 0) {
      return formProblem(`${file.name} is empty: there is nothing in it to convert. Choose the file again, or export it again from the program that made it.`, $('file'));
    }
    const name = $('name').value.trim() || file.name;

    announcedUpload = -1;
    setUploading(true, file.name);
    setUploadProgress(0);
    try {
      const upload = await api('POST', '/uploads', { filename: file.name, contentType: type, size: file.size });
      await put(upload, file);
      announce('Your file is sent. Starting the job…');
      const job = await api('POST', '/jobs', { input: upload.key, presets, name });
      $('upload-form').reset();
      choose(null);
      defaultName = '';
      $('upload-progress').hidden = true;
      location.hash = '#/jobs/' + encodeURIComponent(job.id);
    } catch (e) {
      showError(e.message);
    } finally {
      setUploading(false);
    }
  }

  // ---- My jobs --------------------------------------------------------------

  const PAGE = 20;
  let jobs = [];
  let jobsNext = '';
  const jobItems = new Map();
  let jobsLoading = false;

  async function refreshJobs() {
    if (jobsLoading) return;
    jobsLoading = true;
    try {
      const limit = Math.min(100, Math.max(PAGE, jobs.length));
      const page = await api('GET', '/jobs?limit=' + limit);
      const fresh = page.jobs || [];
      const before = new Map(jobs.map((j) => [j.id, j]));
      for (const j of fresh) {
        const old = before.get(j.id);
        if (old && old.state !== j.state && !OPEN.has(j.state)) announce(`${j.name || 'A job'}: ${stateWords(j.state)}.`);
      }
      if (jobs.length <= limit) {
        jobs = fresh;
        jobsNext = page.next || '';
      } else {
        const seen = new Set(fresh.map((j) => j.id));
        jobs = fresh.concat(jobs.slice(limit).filter((j) => !seen.has(j.id)));
      }
      renderJobs();
    } catch (e) {
      if (currentView === 'home') showError("We couldn't load your jobs: " + e.message);
    } finally {
      jobsLoading = false;
    }
  }

  async function loadMoreJobs() {
    if (!jobsNext || jobsLoading) return;
    jobsLoading = true;
    const more = $('jobs-more');
    more.setAttribute('aria-disabled', 'true');
    try {
      const page = await api('GET', `/jobs?limit=${PAGE}&cursor=${encodeURIComponent(jobsNext)}`);
      const seen = new Set(jobs.map((j) => j.id));
      const added = (page.jobs || []).filter((j) => !seen.has(j.id));
      jobs = jobs.concat(added);
      jobsNext = page.next || '';
      renderJobs();
      if (added.length) {
        const first = jobItems.get(added[0].id);
        if (first) first.querySelector('a').focus();
      }
      announce(added.length ? `${added.length} more jobs shown.` : 'No more jobs.');
    } catch (e) {
      showError("We couldn't load more jobs: " + e.message);
    } finally {
      more.removeAttribute('aria-disabled');
      jobsLoading = false;
    }
  }

  function jobItem(j) {
    let li = jobItems.get(j.id);
    if (!li) {
      li = el('li', { class: 'job' },
        el('a', { class: 'job-name', href: '#/jobs/' + encodeURIComponent(j.id) }),
        el('span', { class: 'state' }),
        el('progress', { max: 100, value: 0 }),
        el('span', { class: 'hint job-when' }));
      jobItems.set(j.id, li);
    }
    const name = j.name || 'Untitled job';
    li.dataset.id = j.id;
    li.dataset.state = j.state;
    li.querySelector('a').textContent = name;
    const state = li.querySelector('.state');
    state.textContent = stateWords(j.state);
    state.dataset.state = j.state;
    const bar = li.querySelector('progress');
    bar.hidden = !OPEN.has(j.state);
    bar.value = Math.max(0, Math.min(100, j.progress || 0));
    bar.setAttribute('aria-label', `Progress of ${name}`);
    const started = when(j.createdAt);
    li.querySelector('.job-when').textContent = started ? 'Started ' + started : '';
    return li;
  }

  function renderJobs() {
    renderList($('jobs-list'), jobs, jobItems, jobItem);
    $('jobs-empty').hidden = jobs.length > 0;
    $('jobs-more').hidden = !jobsNext;
  }

  // ---- A job ----------------------------------------------------------------

  let jobID = '';
  let jobGen = 0;
  let events = null;
  let jobPoll = 0;
  let lastJobState = '';
  let announcedJob = -1;

  function closeJob() {
    jobGen++;
    if (events) { events.close(); events = null; }
    clearTimeout(jobPoll);
    jobID = '';
  }

  async function openJob(id) {
    const same = id === jobID;
    closeJob();
    jobID = id;
    const gen = jobGen;
    if (!same) {
      lastJobState = '';
      announcedJob = -1;
      $('job-title').textContent = 'Your job';
      document.title = 'Your job – Transcoder';
      $('job-state').textContent = 'Loading…';
      delete $('job-state').dataset.state;
      $('job-when').textContent = '';
      $('job-bar').value = 0;
      $('job-pct').textContent = '0%';
      for (const part of ['job-error', 'job-warnings', 'job-files', 'job-cancel', 'job-retry']) $(part).hidden = true;
      $('job-transitions').replaceChildren();
      $('job-card').setAttribute('aria-busy', 'true');
    }
    try {
      const j = await api('GET', '/jobs/' + encodeURIComponent(id));
      if (gen !== jobGen) return;
      renderJob(j);
      if (OPEN.has(j.state)) {
        if (live === 'poll') pollJob(id, gen, FOLLOW_POLL_MS);
        else follow(id, gen);
      }
    } catch (e) {
      if (gen !== jobGen) return;
      $('job-card').setAttribute('aria-busy', 'false');
      $('job-state').textContent = 'Not available';
      showError(e.status === 404
        ? "We couldn't find this job. The link may be wrong, or the job belongs to someone else."
        : "We couldn't load this job: " + e.message);
    }
  }

  // follow listens to the job's events until it ends; if the stream gives
  // up, it asks for the job every few seconds instead.
  function follow(id, gen) {
    events = new EventSource('/jobs/' + encodeURIComponent(id) + '/events');
    events.addEventListener('job', (ev) => {
      if (gen !== jobGen) return;
      let j;
      try { j = JSON.parse(ev.data); } catch { return; }
      renderJob(j);
      if (!OPEN.has(j.state)) {
        events.close();
        events = null;
        refreshInbox();
      }
    });
    // The service says when the job is over: nothing more will come.
    events.addEventListener('end', () => {
      if (events) events.close();
      events = null;
    });
    events.onerror = () => {
      if (gen !== jobGen || !events || events.readyState !== EventSource.CLOSED) return;
      events = null;
      pollJob(id, gen);
    };
  }

  // pollJob asks for the job every few seconds until it ends. Each ask
  // names the view the page has (If-None-Match), so while nothing changes
  // the service answers 304 with no body, at a fraction of the cost.
  function pollJob(id, gen, every, tag) {
    jobPoll = setTimeout(async () => {
      if (gen !== jobGen) return;
      try {
        const headers = { Accept: 'application/json' };
        if (tag) headers['If-None-Match'] = tag;
        const res = await fetch('/jobs/' + encodeURIComponent(id), { headers, credentials: 'same-origin', cache: 'no-store' });
        if (gen !== jobGen) return;
        if (res.ok) {
          tag = res.headers.get('ETag') || '';
          const j = await res.json();
          if (gen !== jobGen) return;
          renderJob(j);
          if (!OPEN.has(j.state)) { refreshInbox(); return; }
        }
      } catch { /* try again below */ }
      pollJob(id, gen, every, tag);
    }, every || POLL_MS);
  }

  async function cancelJob() {
    const id = jobID;
    if (!id) return;
    hideError();
    $('job-cancel').disabled = true;
    try {
      const j = await api('DELETE', '/jobs/' + encodeURIComponent(id));
      if (id === jobID) renderJob(j);
      announce('The job was canceled.');
      refreshInbox();
    } catch (e) {
      showError("We couldn't cancel this job: " + e.message);
    } finally {
      $('job-cancel').disabled = false;
    }
  }

  async function retryJob() {
    const id = jobID;
    if (!id) return;
    hideError();
    $('job-retry').disabled = true;
    try {
      const j = await api('POST', '/jobs/' + encodeURIComponent(id) + '/retry');
      announce('The job is running again.');
      location.hash = '#/jobs/' + encodeURIComponent(j.id);
    } catch (e) {
      showError("We couldn't run this job again: " + e.message);
    } finally {
      $('job-retry').disabled = false;
    }
  }

  function renderJob(j) {
    const name = j.name || 'Untitled job';
    $('job-title').textContent = name;
    document.title = name + ' – Transcoder';
    const state = $('job-state');
    state.textContent = stateWords(j.state);
    state.dataset.state = j.state;
    const started = when(j.createdAt);
    $('job-when').textContent = started ? 'Started ' + started : '';

    const percent = j.state === 'COMPLETE' ? 100 : Math.max(0, Math.min(100, j.progress || 0));
    $('job-bar').value = percent;
    $('job-pct').textContent = percent + '%';

    // Tell screen readers about each new state and every quarter of progress.
    const step = Math.floor(percent / 25) * 25;
    if (j.state !== lastJobState) {
      lastJobState = j.state;
      announcedJob = step;
      $('job-live').textContent = OPEN.has(j.state)
        ? `${stateWords(j.state)}: ${percent}%`
        : `${name}: ${stateWords(j.state)}.`;
    } else if (OPEN.has(j.state) && step > announcedJob) {
      announcedJob = step;
      $('job-live').textContent = `${stateWords(j.state)}: ${step}%`;
    }

    let problem = '';
    if (j.state === 'ERROR') {
      // error.message is the service's plain sentence (what happened, what
      // to do); the engine's own words (error.detail) are the operator's and
      // never shown here.
      problem = "We couldn't transcode this file. " + ((j.error && j.error.message) || 'Try again; if it fails again, export the file as WAV or MP3 and upload that.');
    } else if (j.state === 'CANCELED') {
      problem = 'This job was canceled before it finished.';
    }
    $('job-error-text').textContent = problem;
    $('job-error').hidden = !problem;

    // An open job can be canceled; an ended one that did not complete can
    // be run again (a new job on the same file, while it is stored).
    $('job-cancel').hidden = !OPEN.has(j.state);
    $('job-retry').hidden = j.state !== 'ERROR' && j.state !== 'CANCELED';

    const warnings = j.warnings || [];
    $('job-warning-list').replaceChildren(...warnings.map((w) => el('li', {}, w.message || w.code)));
    $('job-warnings').hidden = !warnings.length;

    renderDownloads(j);

    $('job-transitions').replaceChildren(...(j.transitions || []).map((t) =>
      el('li', {}, el('span', { class: 'state', 'data-state': t.state }, stateWords(t.state)), ' ',
        el('time', { datetime: t.at }, when(t.at, true)))));
    $('job-card').setAttribute('aria-busy', 'false');
  }

  // renderDownloads offers the outputs only once the job is COMPLETE, and
  // only those the service gave a link for.
  function renderDownloads(j) {
    const list = $('job-downloads');
    if (j.state !== 'COMPLETE') {
      list.replaceChildren();
      $('job-files').hidden = true;
      return;
    }
    list.replaceChildren(...(j.outputs || []).map((o) => {
      const file = baseName(o.uri);
      const kind = presetLabel(o.preset) || presetLabel(file.split('.').pop());
      const length = seconds(o.durationMs);
      if (!o.url) {
        return el('li', {}, `${kind} (${file}) is ready but cannot be downloaded right now. Reload the page to try again.`);
      }
      return el('li', {},
        el('a', { class: 'button primary', href: o.url, download: file, 'data-preset': o.preset || '' },
          `Download ${kind} (${file})`),
        length ? el('span', { class: 'hint' }, ' ' + length) : null);
    }));
    $('job-files').hidden = !list.children.length;
  }

  // ---- Inbox ----------------------------------------------------------------

  let notices = [];
  let inboxLoaded = false;
  const noticeItems = new Map();

  async function refreshInbox() {
    try {
      const r = await api('GET', '/inbox');
      const fresh = (r && r.notices) || [];
      const unreadBefore = notices.filter((n) => !n.read).length;
      const unreadNow = fresh.filter((n) => !n.read).length;
      if (inboxLoaded && unreadNow > unreadBefore) announce('You have a new message in your inbox.');
      notices = fresh;
      inboxLoaded = true;
      renderBadge();
      renderInbox();
    } catch (e) {
      if (currentView === 'inbox') showError("We couldn't load your inbox: " + e.message);
    }
  }

  function renderBadge() {
    const unread = notices.filter((n) => !n.read).length;
    const badge = $('unread');
    badge.hidden = unread === 0;
    badge.replaceChildren(el('span', { 'aria-hidden': 'true' }, String(unread)),
      el('span', { class: 'visually-hidden' }, ` (${unread} unread)`));
  }

  function noticeItem(n) {
    let li = noticeItems.get(n.id);
    if (!li) {
      const open = el('a', { class: 'button secondary small', href: '#/jobs/' + encodeURIComponent(n.jobId) }, 'See the job');
      open.addEventListener('click', () => markRead(n.id));
      const read = el('button', { type: 'button', class: 'secondary small', 'data-act': 'read' }, 'Mark as read');
      read.addEventListener('click', () => markRead(n.id, true));
      const dismiss = el('button', { type: 'button', class: 'secondary small', 'data-act': 'dismiss' }, 'Dismiss');
      dismiss.addEventListener('click', () => dismissNotice(n.id));
      li = el('li', { class: 'notice' },
        el('p', { class: 'notice-text' }, el('span', { class: 'visually-hidden unread-word' }, 'Unread: '), el('span', { class: 'text' })),
        el('p', { class: 'hint' }, el('time')),
        el('div', { class: 'notice-actions' }, open, read, dismiss));
      noticeItems.set(n.id, li);
    }
    li.dataset.id = n.id;
    li.dataset.read = String(!!n.read);
    li.dataset.state = n.state;
    li.classList.toggle('unread', !n.read);
    li.querySelector('.unread-word').hidden = !!n.read;
    li.querySelector('.text').textContent = n.text;
    const t = li.querySelector('time');
    t.setAttribute('datetime', n.at);
    t.textContent = when(n.at);
    li.querySelector('[data-act=read]').hidden = !!n.read;
    return li;
  }

  function renderInbox() {
    renderList($('inbox-list'), notices, noticeItems, noticeItem);
    $('inbox-empty').hidden = notices.length > 0;
  }

  async function markRead(id, keepFocus) {
    const n = notices.find((x) => x.id === id);
    if (!n || n.read) return;
    try {
      await api('POST', `/inbox/${encodeURIComponent(id)}/read`);
      n.read = true;
      renderBadge();
      renderInbox();
      if (keepFocus) {
        const li = noticeItems.get(id);
        if (li) li.querySelector('[data-act=dismiss]').focus();
        announce('Marked as read.');
      }
    } catch (e) {
      showError("We couldn't mark the message as read: " + e.message);
    }
  }

  async function dismissNotice(id) {
    const i = notices.findIndex((x) => x.id === id);
    if (i < 0) return;
    try {
      await api('POST', `/inbox/${encodeURIComponent(id)}/dismiss`);
      notices.splice(i, 1);
      renderBadge();
      renderInbox();
      // Keep the keyboard where the message was: on the next one, or the title.
      const next = notices[i] || notices[i - 1];
      const li = next && noticeItems.get(next.id);
      if (li) li.querySelector('[data-act=dismiss]').focus();
      else $('inbox-title').focus();
      announce('Message dismissed.');
    } catch (e) {
      showError("We couldn't dismiss the message: " + e.message);
    }
  }

  // ---- Start ----------------------------------------------------------------

  function tick() {
    if (document.hidden || signedOut) return;
    if (currentView === 'home') refreshJobs();
    refreshInbox();
  }

  async function boot() {
    $('alert-close').addEventListener('click', () => { hideError(); $('main').focus(); });
    $('upload-form').addEventListener('submit', startJob);
    $('job-cancel').addEventListener('click', cancelJob);
    $('job-retry').addEventListener('click', retryJob);
    $('jobs-more').addEventListener('click', loadMoreJobs);
    $('jobs-refresh').addEventListener('click', () => { refreshJobs(); refreshInbox(); announce('Refreshing your jobs.'); });
    setupDropZone();
    window.addEventListener('hashchange', () => route(true));
    document.addEventListener('visibilitychange', () => { if (!document.hidden) tick(); });

    try {
      await redeemInvite();
    } catch (e) {
      showError("We couldn't sign you in with this invite: " + e.message);
    }
    try {
      await session();
    } catch (e) {
      if (e.status === 401) showInviteOnly();
      else showError("We couldn't start your session: " + e.message);
    }
    if (signedOut) {
      show('home', false);
      return;
    }
    loadPresets();
    route(false);
    if (currentView !== 'inbox') refreshInbox();
    setInterval(tick, POLL_MS);
  }

  boot();
})();
