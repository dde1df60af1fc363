/**
 * Abstract unix names (`'\0name'`): the package's sockets reach and serve exactly what plain
 * `net.connect`/`server.listen` of the running Node do, whichever convention that Node uses
 * (Node 20 pads the name to the whole sun_path, Node 22 and 24 do not).
 */
import * as net from 'node:net';

import test from 'ava';

import { createSocketFd } from '../dist';
import { asNodeUnixPath, NODE_PADS_ABSTRACT_NAMES, SUN_PATH_SIZE } from '../dist/lib/unixname';
import { openNS } from './helpers/handles';
import { checkNoThreadLeftBehind, uniqueName } from './helpers/kernel';

checkNoThreadLeftBehind(test);

function readAll(socket: net.Socket): Promise<string> {
  return new Promise((resolve, reject) => {
    let data = '';
    socket.setEncoding('utf8');
    socket.on('data', (d: string) => (data += d));
    socket.on('error', reject);
    socket.on('end', () => resolve(data));
  });
}

function closed(server: net.Server): Promise<void> {
  return new Promise((resolve) => (server.listening ? server.close(() => resolve()) : resolve()));
}

/** The abstract names bound in the calling thread's namespace, as /proc/net/unix shows them ('@' for NUL). */
function boundNames(ns: { do: <T>(fn: () => T) => T }): string[] {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const { readFileSync } = require('node:fs') as typeof import('node:fs');
  return ns.do(() => readFileSync('/proc/thread-self/net/unix', 'utf8'))
    .split('\n')
    .slice(1)
    .map((line) => line.trim().split(/\s+/)[7])
    .filter((p): p is string => p !== undefined && p.startsWith('@'));
}

test('the convention follows the running Node line', (t) => {
  const major = Number(process.versions.node.split('.')[0]);
  t.is(NODE_PADS_ABSTRACT_NAMES, major < 22);
  t.is(asNodeUnixPath('/tmp/x.sock', true), '/tmp/x.sock');
  t.is(asNodeUnixPath('\0ab', false), '\0ab');
  const padded = asNodeUnixPath('\0ab', true);
  t.is(Buffer.byteLength(padded), SUN_PATH_SIZE);
  t.true(padded.startsWith('\0ab\0'));
});

test("ns.connect('\\0name') reaches a plain net server listening on '\\0name' inside the namespace", async (t) => {
  const { ns } = openNS(t, 'mxab');
  const path = `\0${uniqueName('mxa')}`;
  const server = net.createServer((s) => s.end('plain server'));
  // A unix listen binds synchronously on the calling thread, so inside ns.do().
  ns.do(() => server.listen(path));
  t.teardown(() => closed(server));
  // The name as this Node binds it: padded to the whole sun_path on Node 20, exact on 22 and 24.
  const name = `@${path.slice(1)}`;
  const bound = boundNames(ns).filter((n) => n.startsWith(name));
  t.deepEqual(bound, [NODE_PADS_ABSTRACT_NAMES ? name.padEnd(SUN_PATH_SIZE, '@') : name]);
  t.is(await readAll(ns.connect({ path })), 'plain server');
});

test("a plain net.connect('\\0name') reaches ns.listen on '\\0name' and createSocketFd's listener", async (t) => {
  const { ns } = openNS(t, 'mxac');
  const path = `\0${uniqueName('mxb')}`;
  const server = ns.listen(net.createServer((s) => s.end('ns server')), { path });
  t.teardown(() => closed(server));
  // A unix connect also happens synchronously, so a plain net.connect inside ns.do() is in ns.
  const socket = ns.do(() => net.connect({ path }));
  t.is(await readAll(socket), 'ns server');

  // createSocketFd binds the same spelling: a plain client in ns reaches a server on that fd.
  const other = `\0${uniqueName('mxc')}`;
  const fd = createSocketFd(ns, { family: 'unix', kind: 'stream', path: other, backlog: 8 });
  const raw = net.createServer((s) => s.end('fd server'));
  await new Promise<void>((resolve) => raw.listen({ fd }, resolve));
  t.teardown(() => closed(raw));
  t.is(await readAll(ns.do(() => net.connect({ path: other }))), 'fd server');
  // And createSocketFd's connectPath reaches a plain server in ns.
  const client = createSocketFd(ns, { family: 'unix', kind: 'stream', connectPath: other });
  t.is(await readAll(new net.Socket({ fd: client })), 'fd server');
});
