// The matrix's smoke, in plain Node (no ava, no TypeScript: it runs on Node 18 under qemu too).
// Usage: node smoke.cjs APP_DIR TARGET NS_NAME
//   APP_DIR: an empty project where netns and netns-TARGET were installed from their tarballs;
//   NS_NAME: a namespace the caller made with `ip netns add` (its loopback up), and removes.
// Checks: the binary loads from the installed per-platform package; the thread enters NS_NAME and
// comes back; a server made inside it serves a client made inside it, and the host cannot reach
// it; a named namespace is created and deleted. Prints `smoke: ok` and exits 0, or throws.
'use strict';
const assert = require('node:assert/strict');
const fs = require('node:fs');
const net = require('node:net');
const path = require('node:path');

const [app, target, nsName] = process.argv.slice(2);
const netns = require(path.join(app, 'node_modules', 'netns'));
const threadIno = () => fs.statSync('/proc/thread-self/ns/net').ino;

async function main() {
  assert.equal(netns.isSupported(), true, 'isSupported()');
  const addons = Object.keys(require.cache).filter((f) => f.endsWith('.node'));
  assert.deepEqual(addons, [path.join(fs.realpathSync(app), 'node_modules', `netns-${target}`, `netns.${target}.node`)]);

  const home = threadIno();
  const ns = netns.getNS(`/run/netns/${nsName}`);
  assert.equal(ns.inode, fs.statSync(`/run/netns/${nsName}`).ino);
  assert.equal(ns.do(threadIno), ns.inode, 'do() runs inside the namespace');
  assert.equal(threadIno(), home, 'the thread came back');

  const server = ns.listen(net.createServer((s) => s.end(`inside ${nsName}`)), { port: 0, host: '127.0.0.1' });
  await new Promise((resolve) => (server.listening ? resolve() : server.once('listening', resolve)));
  const { port } = server.address();
  const reply = await new Promise((resolve, reject) => {
    let data = '';
    const c = ns.connect({ host: '127.0.0.1', port });
    c.setEncoding('utf8');
    c.on('data', (d) => (data += d)).on('end', () => resolve(data)).on('error', reject);
  });
  assert.equal(reply, `inside ${nsName}`);
  await new Promise((resolve) => server.close(resolve));
  assert.equal(threadIno(), home);

  const name = `${nsName}n`.slice(0, 15);
  const made = netns.createNetNS(name);
  try {
    assert.ok(netns.listNetNS().includes(name), 'the new namespace is listed');
    assert.notEqual(made.inode, home);
    assert.equal(made.do(threadIno), made.inode);
  } finally {
    made.close();
    netns.deleteNetNS(name);
  }
  assert.ok(!fs.existsSync(`/run/netns/${name}`), 'the named namespace was deleted');
  ns.close();
  assert.equal(threadIno(), home);
  console.log(`smoke: ok (${target}, Node ${process.version}, ${process.arch})`);
}

main().catch((e) => {
  console.error('smoke: FAILED:', e && e.stack ? e.stack : e);
  process.exit(1);
});
