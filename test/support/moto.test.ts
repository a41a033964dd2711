/**
 * The local AWS's bad inputs: each a clear error naming the value and the fix, none a hang. The happy path (a real
 * moto_server, a table, the SDKs against it) is covered by test/local/workload.test.ts and java-dynamodb.test.ts.
 */
import * as fs from 'fs';
import * as net from 'net';
import * as os from 'os';
import * as path from 'path';
import { startLocalAws } from './moto';

function listen(server: net.Server): Promise<number> {
  return new Promise(resolve => server.listen(0, '127.0.0.1', () => resolve((server.address() as net.AddressInfo).port)));
}

test('moto_server not installed: names the path and the setup that installs it', async () => {
  await expect(startLocalAws({ motoServer: '/nonexistent/tools/bin/moto_server' })).rejects.toThrow(
    'moto_server is not installed at /nonexistent/tools/bin/moto_server; run `npm run setup` ' +
    '(scripts/setup.sh installs the pinned moto[server] into .rustacean-lambda/tools)');
});

test('a port in use: names the port, before any server is started', async () => {
  const taken = net.createServer();
  const port = await listen(taken);
  try {
    // /bin/false would fail to answer if it were started at all; the check must come first.
    await expect(startLocalAws({ port, motoServer: '/bin/false' })).rejects.toThrow(
      `cannot start moto_server on 127.0.0.1:${port}: the port is in use; stop what listens there, or pick another port`);
  } finally {
    taken.close();
  }
});

test('a server that exits at once is an error with its output, at once (not after the timeout)', async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'moto-broken-'));
  const broken = path.join(dir, 'moto_server');
  fs.writeFileSync(broken, '#!/bin/sh\necho "ModuleNotFoundError: No module named flask" >&2\nexit 3\n', { mode: 0o755 });
  const started = Date.now();
  try {
    await expect(startLocalAws({ motoServer: broken, timeoutMs: 60_000 }))
      .rejects.toThrow(/moto_server did not answer on http:\/\/127\.0\.0\.1:\d+ \(exited with code 3\); its output:\nModuleNotFoundError: No module named flask/);
    expect(Date.now() - started).toBeLessThan(20_000);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});
