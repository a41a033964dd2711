// A stand-in for GitHub's LLRT release downloads, for tests and benchmarks: serves files from a folder on
// 127.0.0.1 only, in a process of its own (synth downloads block the parent's event loop).
//
//   node llrt-release-server.js <root>      prints {"port":N} once listening
//
//   GET /releases/download/<tag>/<asset>    <root>/<tag>/<asset>, or 404
//   GET /redirect/<tag>/<asset>             302 to /objects/<tag>/<asset>?token=... (like GitHub's CDN redirect)
//   GET /objects/<tag>/<asset>              the file
//   GET /releases/download/latest           302 to /releases/tag/<tag in <root>/LATEST>
//   GET /releases/tag/<tag>                 200, a small HTML page
//   GET /hang/...                           never answers
//   GET /truncated/<tag>/<asset>            announces the full length, sends half, closes
//   GET /files/<path>                       <root>/<path>, or 404 (a crates.io-style registry: index and .crate files)
const http = require('http');
const fs = require('fs');
const path = require('path');

const root = process.argv[2];

function sendFile(res, file) {
  if (!fs.existsSync(file) || !fs.statSync(file).isFile()) {
    res.writeHead(404, { 'content-type': 'text/plain' });
    return res.end('Not Found');
  }
  const data = fs.readFileSync(file);
  res.writeHead(200, { 'content-type': 'application/octet-stream', 'content-length': data.length });
  res.end(data);
}

const server = http.createServer((req, res) => {
  const url = new URL(req.url, 'http://127.0.0.1');
  const parts = url.pathname.split('/').filter(Boolean).map(decodeURIComponent);
  if (parts.some(p => p === '..')) { res.writeHead(400); return res.end(); }
  if (parts[0] === 'releases' && parts[1] === 'download' && parts[2] === 'latest' && parts.length === 3) {
    const tag = fs.readFileSync(path.join(root, 'LATEST'), 'utf-8').trim();
    res.writeHead(302, { location: `/releases/tag/${tag}` });
    return res.end();
  }
  if (parts[0] === 'releases' && parts[1] === 'tag' && parts.length === 3) {
    res.writeHead(200, { 'content-type': 'text/html' });
    return res.end(`<html><body>release ${parts[2]}</body></html>`);
  }
  if (parts[0] === 'releases' && parts[1] === 'download' && parts.length === 4) {
    return sendFile(res, path.join(root, parts[2], parts[3]));
  }
  if (parts[0] === 'redirect' && parts.length === 3) {
    res.writeHead(302, { location: `/objects/${parts[1]}/${parts[2]}?token=abc` });
    return res.end();
  }
  if (parts[0] === 'objects' && parts.length === 3) return sendFile(res, path.join(root, parts[1], parts[2]));
  if (parts[0] === 'files' && parts.length >= 2) return sendFile(res, path.join(root, ...parts.slice(1)));
  if (parts[0] === 'hang') return; // keep the socket open, never answer
  if (parts[0] === 'truncated' && parts.length === 3) {
    const data = fs.readFileSync(path.join(root, parts[1], parts[2]));
    res.writeHead(200, { 'content-length': data.length });
    res.write(data.subarray(0, Math.floor(data.length / 2)));
    return setTimeout(() => res.destroy(), 50);
  }
  res.writeHead(404, { 'content-type': 'text/plain' });
  res.end('Not Found');
});

server.listen(0, '127.0.0.1', () => {
  process.stdout.write(`${JSON.stringify({ port: server.address().port })}\n`);
});
process.on('SIGTERM', () => server.close(() => process.exit(0)));
// Never outlive the test run that started us.
process.stdin.on('end', () => process.exit(0));
process.stdin.resume();
