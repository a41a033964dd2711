import { spawnSync } from 'child_process';

/** What the download child process reports on stdout. */
export interface FetchResult {
  readonly ok: boolean;
  readonly kind?: 'http' | 'network' | 'timeout' | 'redirect' | 'protocol' | 'write';
  readonly url?: string;
  readonly finalUrl?: string;
  readonly status?: number;
  readonly statusText?: string;
  readonly code?: string;
  readonly message?: string;
  readonly body?: string;
  readonly bytes?: number;
}

/** One GET: `resolve` keeps the first 4 KiB of the body, `download` streams the body to `dest`. */
export interface HttpRequest {
  readonly mode: 'download' | 'resolve';
  readonly url: string;
  readonly dest?: string;
}

/** Abort when no data arrives for `idleTimeoutMs`, or when the whole answer takes longer than `deadlineMs`. */
export interface HttpTimeouts {
  readonly idleTimeoutMs: number;
  readonly deadlineMs: number;
}

/** Runs one HTTP GET (following redirects) in a child Node process, since synth is synchronous. */
export function httpGet(request: HttpRequest, timeouts: HttpTimeouts = { idleTimeoutMs: 30_000, deadlineMs: 5 * 60_000 }): FetchResult {
  const params = { ...request, ...timeouts, userAgent: 'rustacean-lambda-cdk' };
  const child = spawnSync(process.execPath, ['-e', FETCH_SCRIPT], {
    env: { ...process.env, RUSTACEAN_LAMBDA_FETCH: JSON.stringify(params) },
    encoding: 'utf-8',
    stdio: ['ignore', 'pipe', 'pipe'],
    timeout: timeouts.deadlineMs + 10_000,
    windowsHide: true,
  });
  if (child.error) return { ok: false, kind: 'network', url: request.url, message: child.error.message };
  try {
    return JSON.parse(child.stdout) as FetchResult;
  } catch {
    return {
      ok: false,
      kind: 'network',
      url: request.url,
      message: `the download process failed (exit ${child.status}): ${(child.stderr || '').trim().split('\n').slice(-3).join(' ')}`,
    };
  }
}

/**
 * The child process that performs one GET with Node's http/https modules: follows redirects (never from https to
 * http), enforces an idle timeout and a deadline, streams a download to `dest` and checks its length, and prints
 * one JSON line with the outcome. Plain JavaScript, so it runs under any `node` without compilation.
 */
const FETCH_SCRIPT = String.raw`
const http = require('http');
const https = require('https');
const fs = require('fs');
const p = JSON.parse(process.env.RUSTACEAN_LAMBDA_FETCH);
let finished = false;
let current = p.url;
function done(result) {
  if (finished) return;
  finished = true;
  process.stdout.write(JSON.stringify(result), () => process.exit(0));
}
setTimeout(() => done({ ok: false, kind: 'timeout', url: current, message: 'no complete answer within ' + p.deadlineMs / 1000 + ' s' }), p.deadlineMs);
function get(url, redirectsLeft) {
  current = url;
  const u = new URL(url);
  const mod = u.protocol === 'https:' ? https : u.protocol === 'http:' ? http : null;
  if (!mod) return done({ ok: false, kind: 'protocol', url, message: 'unsupported protocol ' + u.protocol });
  const req = mod.get(u, { headers: { 'user-agent': p.userAgent, accept: '*/*' } }, (res) => {
    const status = res.statusCode;
    if (status >= 300 && status < 400 && res.headers.location) {
      res.resume();
      const next = new URL(res.headers.location, u).toString();
      if (u.protocol === 'https:' && !next.startsWith('https:')) return done({ ok: false, kind: 'redirect', url, message: 'refused a redirect from https to ' + next });
      if (redirectsLeft <= 0) return done({ ok: false, kind: 'redirect', url, message: 'too many redirects' });
      return get(next, redirectsLeft - 1);
    }
    if (status !== 200) {
      res.resume();
      return done({ ok: false, kind: 'http', url, status, statusText: res.statusMessage || '' });
    }
    res.on('error', (e) => done({ ok: false, kind: 'network', url, code: e.code, message: e.message }));
    if (p.mode === 'resolve') {
      let body = '';
      res.setEncoding('utf-8');
      res.on('data', (c) => { if (body.length < 4096) body += c; });
      res.on('end', () => done({ ok: true, finalUrl: url, body: body.slice(0, 4096) }));
      return;
    }
    const length = Number(res.headers['content-length'] ?? -1);
    const out = fs.createWriteStream(p.dest, { flags: 'wx' });
    let bytes = 0;
    res.on('data', (c) => { bytes += c.length; });
    out.on('error', (e) => done({ ok: false, kind: 'write', url, message: e.message }));
    out.on('finish', () => {
      if (!res.complete || (length >= 0 && bytes !== length)) {
        return done({ ok: false, kind: 'network', url, message: 'connection closed after ' + bytes + ' of ' + length + ' bytes' });
      }
      done({ ok: true, finalUrl: url, bytes });
    });
    res.pipe(out);
  });
  req.setTimeout(p.idleTimeoutMs, () => {
    const e = new Error('no data for ' + p.idleTimeoutMs / 1000 + ' s');
    e.code = 'ETIMEDOUT';
    req.destroy(e);
  });
  req.on('error', (e) => done({ ok: false, kind: e.code === 'ETIMEDOUT' ? 'timeout' : 'network', url, code: e.code, message: e.message }));
}
get(p.url, 10);
`;
