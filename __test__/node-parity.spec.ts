/**
 * Issue 21 item 6: inputs where the package answered differently from the Node API it mirrors.
 * Each case is compared with what Node itself answers in this same process.
 */
import { spawnSync } from 'node:child_process';
import * as dns from 'node:dns';
import * as net from 'node:net';
import test from 'ava';

import { createNetNS } from '../dist';
import { checkNoThreadLeftBehind } from './helpers/kernel';

checkNoThreadLeftBehind(test);

/** What a lookup gives: its address, its error's fields, or the error it throws at once. */
async function outcome(lookup: () => Promise<dns.LookupAddress>): Promise<unknown> {
  try {
    const found = await lookup();
    return { address: found.address };
  } catch (e) {
    const { code, errno, syscall } = e as NodeJS.ErrnoException;
    return { code, errno, syscall };
  }
}

test('ns.lookup answers a name with a NUL byte, and names longer than 255 bytes, as dns.lookup does', async (t) => {
  using ns = createNetNS(); // no etcDir: the host's /etc/hosts, as dns.lookup reads it
  for (const name of ['localhost\0evil', 'a'.repeat(256), 'a'.repeat(300), `${'a'.repeat(63)}.${'b'.repeat(200)}`]) {
    const node = await outcome(() => dns.promises.lookup(name, 4));
    t.deepEqual(await outcome(() => ns.promises.lookup(name, 4)), node, JSON.stringify(name.slice(0, 20)));
  }
});

test('createConnection takes a string that is a number (\'0x88bf\', \' 35007\') as a port, as net.createConnection does', async (t) => {
  using ns = createNetNS();
  ns.setLinkUp('lo');
  const server = ns.listen(net.createServer((s) => s.end('port')), { host: '127.0.0.1', port: 35007 });
  t.teardown(() => server.close());
  await new Promise((resolve) => server.once('listening', resolve));
  for (const port of ['0x88bf', ' 35007', '35007']) {
    const got = await new Promise<string>((resolve, reject) => {
      const socket = ns.createConnection(port as never, '127.0.0.1');
      let text = '';
      socket.on('data', (d) => (text += d));
      socket.on('end', () => resolve(text));
      socket.on('error', reject);
    });
    t.is(got, 'port', port);
  }
});

test('NETNS_SOCKET_POOL takes decimal integers only: 1e1, 0x10, 0b11, -0 and \' 8\' warn and keep the default', (t) => {
  const run = (value: string) =>
    spawnSync(process.execPath, ['-e', "process.stdout.write(String(Object.is(require('./dist').socketPoolSize(), -0) ? '-0' : require('./dist').socketPoolSize()))"], {
      env: { ...process.env, NETNS_SOCKET_POOL: value },
      encoding: 'utf8',
    });
  for (const value of ['1e1', '0x10', '0b11', '-0', ' 8', '8.0', '65']) {
    const r = run(value);
    t.is(r.stdout, '8', value);
    t.regex(r.stderr, /NETNS_SOCKET_POOL/, value);
  }
  t.is(run('16').stdout, '16');
  t.is(run('0').stdout, '0');
});
