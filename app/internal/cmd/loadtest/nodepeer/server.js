// The Node peer of the load benchmark: a typical Node.js SNS endpoint doing
// the work our completion endpoint does, so that the benchmark can put the
// two side by side on the same messages, connections and machine.
//
// For each POST it checks the x-amz-sns-* headers against the body, verifies
// the signature with AWS's sns-validator (a real RSA check), parses the
// MediaConvert event, merges it into the job's row in better-sqlite3 (WAL,
// synchronous=FULL, one transaction per delivery) and answers 200; a
// signature that does not verify is answered 403.
//
// sns-validator fetches SigningCertURL over HTTPS and caches it. This machine
// reaches no Amazon host, so https.get answers the one pinned URL from the
// pinned file, as the Go server is given SNS_CERT_DIR; any other URL fails
// as an unreachable host would. Only the fetch is replaced: the URL rules and
// the signature check are sns-validator's own.
//
// Environment: PORT, DB (the SQLite file), CERT_URL and CERT_FILE (the pinned
// certificate), TOPIC (the one accepted TopicArn).
'use strict';

const fs = require('fs');
const http = require('http');
const https = require('https');
const { EventEmitter } = require('events');

const pinnedURL = process.env.CERT_URL;
const pinnedPEM = fs.readFileSync(process.env.CERT_FILE, 'utf8');
const topic = process.env.TOPIC;

https.get = function pinnedGet(url, cb) {
  const req = new EventEmitter();
  process.nextTick(() => {
    if (String(url) !== pinnedURL) {
      req.emit('error', new Error('certificate host unreachable: ' + url));
      return;
    }
    const res = new EventEmitter();
    res.statusCode = 200;
    cb(res);
    res.emit('data', Buffer.from(pinnedPEM));
    res.emit('end');
  });
  return req;
};

const MessageValidator = require('sns-validator');
const Database = require('better-sqlite3');

const validator = new MessageValidator();
const db = new Database(process.env.DB);
db.pragma('journal_mode = WAL');
db.pragma('synchronous = FULL');
db.exec(`CREATE TABLE IF NOT EXISTS jobs (
  id TEXT PRIMARY KEY,
  state TEXT NOT NULL,
  progress INTEGER NOT NULL,
  updated_at INTEGER NOT NULL,
  doc TEXT NOT NULL
)`);
const getJob = db.prepare('SELECT state, progress, updated_at, doc FROM jobs WHERE id = ?');
const putJob = db.prepare(`INSERT INTO jobs (id, state, progress, updated_at, doc) VALUES (?, ?, ?, ?, ?)
  ON CONFLICT(id) DO UPDATE SET state = excluded.state, progress = excluded.progress,
  updated_at = excluded.updated_at, doc = excluded.doc`);

// Ranks of the job states: a state never goes back.
const rank = { SUBMITTED: 0, PROGRESSING: 1, COMPLETE: 2, ERROR: 2, CANCELED: 2 };
const stateOf = {
  SUBMITTED: 'SUBMITTED', QUEUE_HOP: 'SUBMITTED', INPUT_INFORMATION: 'PROGRESSING',
  PROGRESSING: 'PROGRESSING', STATUS_UPDATE: 'PROGRESSING', NEW_WARNING: 'PROGRESSING',
  COMPLETE: 'COMPLETE', ERROR: 'ERROR', CANCELED: 'CANCELED',
};

// apply merges one event into its job's row and reports whether it changed.
const apply = db.transaction((u) => {
  const row = getJob.get(u.id);
  let doc = row ? JSON.parse(row.doc) : { id: u.id, engine: 'mediaconvert', state: 'SUBMITTED', progress: 0, history: [] };
  const before = JSON.stringify(doc);
  if (rank[u.state] > rank[doc.state]) {
    doc.state = u.state;
    doc.history.push({ state: u.state, at: u.at });
  }
  if (u.progress > doc.progress) doc.progress = u.progress;
  if (u.outputs) doc.outputs = u.outputs;
  if (u.error) doc.error = u.error;
  const after = JSON.stringify(doc);
  if (after === before) return false;
  putJob.run(u.id, doc.state, doc.progress, u.at, after);
  return true;
});

// decode reads a MediaConvert job state change; null for anything else.
function decode(message) {
  let e;
  try { e = JSON.parse(message); } catch { return null; }
  if (!e || e.source !== 'aws.mediaconvert' || e['detail-type'] !== 'MediaConvert Job State Change') return null;
  const d = e.detail || {};
  const state = stateOf[d.status];
  if (typeof d.jobId !== 'string' || !d.jobId || !state) return null;
  const u = { id: d.jobId, state, progress: (d.jobProgress && d.jobProgress.jobPercentComplete) | 0, at: d.timestamp || Date.parse(e.time) };
  if (d.status === 'COMPLETE') {
    u.outputs = [];
    for (const g of d.outputGroupDetails || []) {
      for (const o of g.outputDetails || []) {
        for (const p of o.outputFilePaths || []) u.outputs.push({ path: p, durationMs: o.durationInMs | 0 });
      }
    }
  }
  if (d.status === 'ERROR') u.error = { code: String(d.errorCode), message: String(d.errorMessage) };
  return u;
}

function answer(res, status, body) {
  const b = JSON.stringify(body);
  res.writeHead(status, { 'Content-Type': 'application/json; charset=utf-8', 'Content-Length': Buffer.byteLength(b) });
  res.end(b);
}

const server = http.createServer((req, res) => {
  if (req.method === 'GET' && req.url === '/healthz') return answer(res, 200, { ok: true });
  if (req.method !== 'POST' || req.url !== '/transcode-complete') return answer(res, 404, { error: 'not found' });
  const chunks = [];
  let size = 0;
  req.on('data', (c) => { size += c.length; if (size <= 1 << 20) chunks.push(c); });
  req.on('end', () => {
    if (size > 1 << 20) return answer(res, 413, { error: 'body is larger than 1 MiB' });
    let m;
    try { m = JSON.parse(Buffer.concat(chunks).toString('utf8')); } catch (err) { return answer(res, 400, { error: 'body is not JSON' }); }
    if (req.headers['x-amz-sns-message-type'] !== m.Type || req.headers['x-amz-sns-topic-arn'] !== m.TopicArn) {
      return answer(res, 400, { error: 'x-amz-sns-* headers do not match the body' });
    }
    if (m.TopicArn !== topic) return answer(res, 403, { error: 'topic not allowed' });
    validator.validate(m, (err, msg) => {
      if (err) return answer(res, 403, { error: err.message });
      if (msg.Type !== 'Notification') return answer(res, 200, { outcome: 'ignored' });
      const u = decode(msg.Message);
      if (!u) return answer(res, 200, { outcome: 'ignored' });
      let changed;
      try { changed = apply(u); } catch (e) { return answer(res, 503, { error: 'the job store failed' }); }
      answer(res, 200, { outcome: changed ? 'applied' : 'duplicate' });
    });
  });
});
server.keepAliveTimeout = 60000;
server.listen(Number(process.env.PORT), '127.0.0.1');
process.on('SIGINT', () => server.close(() => { db.close(); process.exit(0); }));
