/**
 * What an adversarial pass broke (issue 15): deep nesting, arguments that silently meant "here",
 * handles of ended workers, callbacks that escape do(), fds closed behind do()'s back, and what
 * loading the package costs at start-up.
 */
import test from 'ava';
import { execFileSync } from 'node:child_process';
import { closeSync } from 'node:fs';
import { join } from 'node:path';

import {
  createNetNS,
  createSocketFd,
  getNS,
  httpsAgent,
  IllegalConstructorError,
  NetNS,
  NetNSAgent,
  NetNSHttpsAgent,
} from '../dist';
import { makeNamedNS, socketAndNsFds, threadNsInode, checkNoThreadLeftBehind } from './helpers/kernel';

checkNoThreadLeftBehind(test);

/** Runs a fixture in a fresh Node process and parses each line it prints as JSON. */
function runFixture(name: string, ...args: string[]): unknown[] {
  const out = execFileSync(process.execPath, [join(__dirname, 'fixtures', name), ...args], { encoding: 'utf8', timeout: 60_000 });
  return out.trim().split('\n').map((line) => JSON.parse(line) as unknown);
}

for (const where of ['main', 'worker']) {
  test(`do() nested past the JS stack limit throws RangeError and restores the thread (${where} thread)`, (t) => {
    t.deepEqual(runFixture('deep-nesting.js', where), [{ thrown: 'RangeError', restored: true }]);
  });

  test(`process.exit() inside do() runs the 'exit' handlers in the thread's own namespace (${where} thread)`, (t) => {
    const { path } = makeNamedNS(t, 'hdex');
    t.deepEqual(runFixture('exit-inside-do.js', path, where), [{ own: true, target: false }]);
  });
}

for (const end of ['exit', 'terminate']) {
  test(`a worker's unclosed handles are closed when it ends (${end})`, (t) => {
    const [r] = runFixture('worker-handles.js', end) as [{ during: number; after: number; alive: number }];
    // The handles were really open while the worker lived, and so was the worker thread's
    // cached way back (createNetNS switched it): one fd per thread, closed when the thread ends.
    t.is(r.during, 201);
    t.is(r.after, 0);
    t.is(r.alive, 0);
  });
}

test('only a NetNS or null says where a socket or an agent connects from; anything else is refused before any fd exists', (t) => {
  const lookAlike = Object.create(NetNS.prototype) as NetNS;
  const bad: unknown[] = ['/run/netns/x', 0, 3, {}, undefined, { fd: 'x' }, { fd: 0 }, lookAlike];
  const before = socketAndNsFds();
  for (const value of bad) {
    const v = value as NetNS;
    t.throws(() => createSocketFd(v, { family: 'ipv4', kind: 'dgram' }), { instanceOf: TypeError, code: 'ERR_INVALID_ARG_TYPE' } as never);
    t.throws(() => new NetNSAgent(v), { instanceOf: TypeError, code: 'ERR_INVALID_ARG_TYPE' } as never);
    t.throws(() => new NetNSHttpsAgent(v), { instanceOf: TypeError, code: 'ERR_INVALID_ARG_TYPE' } as never);
  }
  t.deepEqual(socketAndNsFds(), before);
  // null is the calling thread's namespace.
  const fd = createSocketFd(null, { family: 'ipv4', kind: 'dgram' });
  closeSync(fd);
  new NetNSAgent(null).destroy();
  httpsAgent().destroy();
});

test('every other method that takes a NetNS refuses look-alikes with ERR_INVALID_ARG_TYPE', (t) => {
  const ns = createNetNS();
  t.teardown(() => ns.close());
  const lookAlike = Object.create(NetNS.prototype) as NetNS;
  for (const other of [lookAlike, { fd: ns.fd } as unknown as NetNS]) {
    t.throws(() => ns.equals(other), { code: 'ERR_INVALID_ARG_TYPE' } as never);
    t.throws(() => ns.addVeth('hdv0', 'hdv1', other), { code: 'ERR_INVALID_ARG_TYPE' } as never);
  }
  t.deepEqual(ns.links().map((l) => l.name), ['lo']);
});

test('an agent over a closed handle is refused when it is made', (t) => {
  const ns = createNetNS();
  ns.close();
  t.throws(() => new NetNSAgent(ns), { code: 'ERR_NETNS_CLOSED' } as never);
  t.throws(() => new NetNSHttpsAgent(ns), { code: 'ERR_NETNS_CLOSED' } as never);
});

test('a generator function given to do() is refused before it runs', (t) => {
  const ns = createNetNS();
  t.teardown(() => ns.close());
  let ran = false;
  t.throws(() => ns.do(function* gen() { ran = true; yield 1; } as never), { instanceOf: TypeError, code: 'ERR_NETNS_ASYNC_CALLBACK' } as never);
  t.false(ran);
});

test('new NetNS() from JavaScript throws ERR_ILLEGAL_CONSTRUCTOR', (t) => {
  const Ctor = NetNS as unknown as new (...args: unknown[]) => NetNS;
  for (const args of [[0, '/x', 1, 2, true], [Symbol('NetNS.construct'), 0, '/x', 1, 2, true], []]) {
    t.throws(() => new Ctor(...args), { instanceOf: IllegalConstructorError, code: 'ERR_ILLEGAL_CONSTRUCTOR' } as never);
  }
});

test('closing hostNS.fd inside do() and opening another namespace on its number cannot redirect the way back', (t) => {
  const { path } = makeNamedNS(t, 'hdfd');
  const ns = getNS(path);
  const other = createNetNS();
  t.teardown(() => {
    ns.close();
    other.close();
  });
  const before = threadNsInode();
  const reopened: NetNS[] = [];
  t.teardown(() => reopened.forEach((h) => h.close()));
  let number = -1;
  ns.do((host) => {
    number = host.fd;
    closeSync(number);
    // Open the other namespace until one lands on the freed number (another thread may take it first).
    for (let i = 0; i < 64 && !reopened.some((h) => h.fd === number); i++) reopened.push(getNS(`/proc/self/fd/${other.fd}`));
  });
  const landed = reopened.find((h) => h.fd === number);
  t.truthy(landed, 'no handle landed on the closed number: the hazard was not set up');
  t.is(threadNsInode(), before);
  t.not(threadNsInode(), other.inode);
  // The handle that took the number is untouched: do() did not close it on its way out.
  t.is(landed?.inode, other.inode);
});

test('loading the package does not load node:https; the first https agent does, and is a real https.Agent', (t) => {
  t.deepEqual(runFixture('lazy-https.js'), [
    { before: false, atLoad: false, afterAgent: true, isHttpsAgent: true, tlsName: true },
  ]);
});

test('the hostNS of a do() callback is a real NetNS: accepted wherever a namespace goes', (t) => {
  const ns = createNetNS();
  const here = getNS('/proc/thread-self/ns/net');
  t.teardown(() => {
    ns.close();
    here.close();
  });
  const fd = ns.do((host) => {
    t.true(here.equals(host));
    t.false(ns.equals(host));
    return createSocketFd(host, { family: 'ipv4', kind: 'dgram' });
  });
  closeSync(fd);
});
