/**
 * Child processes and worker threads started inside a namespace: the child or thread is there,
 * the calling thread and the libuv pool are not, and nothing is left behind.
 */
import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import dns from 'node:dns';
import { existsSync, readdirSync, readlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import type { Worker } from 'node:worker_threads';
import test, { type ExecutionContext } from 'ava';

import { getNS, NetNS, NetNSClosedError } from '../dist';
import { allThreadNsInodes, makeNamedNS, nsInode, threadNsInode, checkNoThreadLeftBehind } from './helpers/kernel';

checkNoThreadLeftBehind(test);

const fixtures = path.join(__dirname, 'fixtures');
const originalInode = threadNsInode();

/** A namespace made for this test, opened; the handle is closed on teardown. */
function openNamedNS(t: ExecutionContext, tag: string): { name: string; ns: NetNS } {
  const { name, path: nsPath } = makeNamedNS(t, tag);
  const ns = getNS(nsPath);
  t.teardown(() => ns.close());
  return { name, ns };
}

/** `readlink /proc/<pid>/ns/net` as it reads for a namespace inode. */
function link(inode: number): string {
  return `net:[${inode}]`;
}

function taskCount(): number {
  return readdirSync('/proc/self/task').length;
}

function fdCount(): number {
  return readdirSync('/proc/self/fd').length;
}

/** Polls `cond` every 20 ms until it holds; false if it still does not after `ms`. */
async function waitFor(cond: () => boolean, ms = 5000): Promise<boolean> {
  const end = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > end) return false;
    await new Promise((r) => setTimeout(r, 20));
  }
  return true;
}

function collect(child: ChildProcess): Promise<string> {
  return new Promise((resolve, reject) => {
    let out = '';
    child.stdout?.setEncoding('utf8').on('data', (d: string) => (out += d));
    child.on('error', reject);
    child.on('close', () => resolve(out.trim()));
  });
}

/** Starts `ip netns exec NAME node -e <server>` and resolves once the server says it listens. */
function startServerIn(t: ExecutionContext, name: string, nodeArgs: string[]): Promise<void> {
  const server = spawn('ip', ['netns', 'exec', name, process.execPath, ...nodeArgs], {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  t.teardown(() => {
    server.kill();
  });
  return new Promise((resolve, reject) => {
    server.on('error', reject);
    server.on('exit', (code) => reject(new Error(`server in ${name} exited with ${code}`)));
    server.stdout.setEncoding('utf8').on('data', (d: string) => d.includes('ready') && resolve());
  });
}

/** `node -e NAME_SERVER <port> <name>`: answers every connection to 127.0.0.1:<port> with <name>. */
const NAME_SERVER = `require('net').createServer((s) => s.end(process.argv[2])).listen(Number(process.argv[1]), '127.0.0.1', () => console.log('ready'))`;

/** Waits for a worker's first message, and for its exit. */
function runWorker<T>(worker: Worker): Promise<T> {
  return new Promise((resolve, reject) => {
    let message: T;
    worker.once('message', (m: T) => (message = m));
    worker.once('error', reject);
    worker.once('exit', () => resolve(message));
  });
}

test.serial('spawn, exec, execFile and fork start the child in the namespace; the calling thread stays', async (t) => {
  const { ns } = openNamedNS(t, 'sp');
  const want = link(ns.inode);
  t.not(ns.inode, originalInode);

  t.is(await collect(ns.spawn('readlink', ['/proc/self/ns/net'])), want);
  t.is(threadNsInode(), originalInode);
  t.is(await collect(ns.spawn('readlink /proc/self/ns/net', { shell: true })), want);

  const viaExec = await new Promise<string>((resolve, reject) =>
    ns.exec('readlink /proc/self/ns/net', (err, stdout) => (err ? reject(err) : resolve(stdout.trim()))),
  );
  t.is(viaExec, want);
  t.is(threadNsInode(), originalInode);

  const viaExecFile = await new Promise<string>((resolve, reject) =>
    ns.execFile('readlink', ['/proc/self/ns/net'], { encoding: 'utf8' }, (err, stdout) => (err ? reject(err) : resolve(stdout.trim()))),
  );
  t.is(viaExecFile, want);
  t.is(await collect(ns.execFile('readlink', ['/proc/self/ns/net'])), want);
  t.is(threadNsInode(), originalInode);

  const forked = ns.fork(path.join(fixtures, 'print-ns.cjs'), [], { silent: true, execArgv: [] });
  t.is(await collect(forked), want);
  t.is(threadNsInode(), originalInode);
});

test.serial('spawnSync, execSync and execFileSync run the child in the namespace; the calling thread stays', (t) => {
  const { ns } = openNamedNS(t, 'sy');
  const want = link(ns.inode);

  const result = ns.spawnSync('readlink', ['/proc/self/ns/net'], { encoding: 'utf8' });
  t.is(result.status, 0);
  t.is(result.stdout.trim(), want);
  t.is(threadNsInode(), originalInode);

  t.is(ns.execSync('readlink /proc/self/ns/net', { encoding: 'utf8' }).trim(), want);
  t.is(threadNsInode(), originalInode);

  t.is(ns.execFileSync('readlink', ['/proc/self/ns/net']).toString().trim(), want);
  t.is(threadNsInode(), originalInode);

  // A failing Sync call throws child_process's own error, and the thread is back all the same.
  const err = t.throws(() => ns.execFileSync('false'), { instanceOf: Error }) as Error & { status: number };
  t.is(err.status, 1);
  t.is(threadNsInode(), originalInode);
});

test.serial('unlike ip netns exec, a child keeps the mount namespace: /proc/net follows it, /sys/class/net does not', (t) => {
  const { name, ns } = openNamedNS(t, 'ms');
  const veth = 'nsprocsv0'; // a veth pair made inside the namespace
  execFileSync('ip', ['-n', name, 'link', 'add', veth, 'type', 'veth', 'peer', 'name', `${veth}p`]);
  const script = `ip -o link show ${veth} >/dev/null && echo netlink; grep -q ${veth}: /proc/net/dev && echo proc; test -e /sys/class/net/${veth} && echo sys; true`;
  t.deepEqual(ns.execSync(script, { encoding: 'utf8' }).trim().split('\n'), ['netlink', 'proc']);
  t.is(ns.execFileSync('readlink', ['/proc/self/ns/mnt'], { encoding: 'utf8' }).trim(), readlinkSync('/proc/self/ns/mnt'));
  // ip netns exec remounts /sys in a mount namespace of its own.
  t.deepEqual(execFileSync('ip', ['netns', 'exec', name, 'sh', '-c', script], { encoding: 'utf8' }).trim().split('\n'), ['netlink', 'proc', 'sys']);
});

test.serial('eight workers in eight namespaces each reach their own namespace\'s server at the same 127.0.0.1:port', async (t) => {
  const port = 40_000 + (process.pid % 20_000);
  const spaces = Array.from({ length: 8 }, (_, i) => openNamedNS(t, `w${i}`));
  await Promise.all(spaces.map(({ name }) => startServerIn(t, name, ['-e', NAME_SERVER, String(port), name])));

  const workers = spaces.map(({ ns }, i) =>
    ns.worker(path.join(fixtures, i % 2 === 0 ? 'ns-worker.cjs' : 'ns-worker.mjs'), { workerData: { port } }),
  );
  t.is(threadNsInode(), originalInode);
  type Report = { kind: string; inode: number; thread: string; child: string; reply?: string; error?: string };
  const reports = await Promise.all(workers.map((w) => runWorker<Report>(w)));

  reports.forEach((report, i) => {
    const { name, ns } = spaces[i];
    t.is(report.kind, i % 2 === 0 ? 'cjs' : 'esm');
    t.is(report.error, undefined);
    t.is(report.reply, name);
    t.is(report.inode, ns.inode); // getCurrentNS() inside the worker
    t.is(report.thread, link(ns.inode));
    t.is(report.child, link(ns.inode)); // a child the worker spawned
  });
  t.is(threadNsInode(), originalInode);
});

test.serial('a worker from eval code, a data: URL, a file: URL and a relative path starts in the namespace', async (t) => {
  const { ns } = openNamedNS(t, 'ev');
  const code = `require('node:worker_threads').parentPort.postMessage(require('node:fs').readlinkSync('/proc/thread-self/ns/net'))`;
  t.is(await runWorker<string>(ns.worker(code, { eval: true })), link(ns.inode));

  const url = new URL(`data:text/javascript,${encodeURIComponent(code.replace(/require\('([^']+)'\)/g, "(await import('$1'))"))}`);
  t.is(await runWorker<string>(ns.worker(url)), link(ns.inode));

  const fileReport = await runWorker<{ inode: number }>(ns.worker(pathToFileURL(path.join(fixtures, 'ns-worker.mjs')), { workerData: { port: 9 } }));
  t.is(fileReport.inode, ns.inode);

  const relative = `./${path.relative(process.cwd(), path.join(fixtures, 'ns-worker.cjs'))}`;
  const report = await runWorker<{ inode: number; error?: string }>(ns.worker(relative, { workerData: { port: 9 } }));
  t.is(report.inode, ns.inode);
  t.is(report.error, 'ECONNREFUSED'); // Nothing listens in this namespace.
  t.is(threadNsInode(), originalInode);
});

test.serial('a dns.Resolver used inside the worker queries from the worker\'s namespace', async (t) => {
  const port = 5300 + (process.pid % 500);
  const spaces = [openNamedNS(t, 'da'), openNamedNS(t, 'db')];
  const answers = ['10.77.0.1', '10.77.0.2'];
  await Promise.all(spaces.map(({ name }, i) => startServerIn(t, name, [path.join(fixtures, 'dns-server.cjs'), String(port), answers[i]])));

  const code = `
    const dns = require('node:dns');
    const { parentPort, workerData } = require('node:worker_threads');
    const resolver = new dns.Resolver({ timeout: 1000, tries: 2 });
    resolver.setServers(['127.0.0.1:' + workerData.port]);
    resolver.resolve4('service.test', (err, addresses) => parentPort.postMessage(err ? err.code : addresses));`;
  const results = await Promise.all(spaces.map(({ ns }) => runWorker(ns.worker(code, { eval: true, workerData: { port } }))));
  t.deepEqual(results, [[answers[0]], [answers[1]]]);

  // On the main thread, a Resolver merely made inside do() queries from where the query is sent.
  const resolver = spaces[0].ns.do(() => new dns.Resolver({ timeout: 500, tries: 1 }));
  resolver.setServers([`127.0.0.1:${port}`]);
  const fromMain = await new Promise((resolve) => resolver.resolve4('service.test', (err, addresses) => resolve(err ? err.code : addresses)));
  t.notDeepEqual(fromMain, [answers[0]]);
});

test.serial('after all of that, every thread is in the original namespace and dns.lookup answers from it', async (t) => {
  const lookup = await dns.promises.lookup('localhost', { family: 4 });
  t.is(lookup.address, '127.0.0.1');
  const inodes = allThreadNsInodes();
  t.true(inodes.size > 1);
  for (const [tid, inode] of inodes) t.is(inode, originalInode, `thread ${tid}`);
});

test.serial('the package starts the libuv pool where it is loaded: a worker\'s first pool job does not move it', (t) => {
  const { path: nsPath } = makeNamedNS(t, 'pool');
  const out = execFileSync(process.execPath, [path.join(fixtures, 'pool-check.cjs'), nsPath], { encoding: 'utf8' });
  const report = JSON.parse(out) as { original: string; inWorker: { ns: string; lookup: string }; lookup: string; threads: string[] };
  t.is(report.inWorker.ns, link(nsInode(nsPath)));
  t.is(report.inWorker.lookup, '127.0.0.1');
  t.is(report.lookup, '127.0.0.1');
  t.true(report.threads.length > 1);
  t.deepEqual(new Set(report.threads), new Set([report.original]));
});

test.serial('a worker that throws or is terminated leaves no thread and no fd behind', async (t) => {
  const { ns } = openNamedNS(t, 'lk');
  const throwing = () => ns.worker(`throw new Error('boom')`, { eval: true });
  const looping = () => ns.worker(`setInterval(() => {}, 1000); require('node:worker_threads').parentPort.postMessage('up')`, { eval: true });
  const ended = (w: Worker) => new Promise<number>((resolve) => w.once('exit', resolve));

  // One of each first: whatever Node sets up once for the first workers is not a leak.
  const tasksBefore = taskCount();
  const warm = throwing();
  warm.on('error', () => {});
  await ended(warm);
  const warm2 = looping();
  await new Promise((r) => warm2.once('message', r));
  await warm2.terminate();
  t.true(await waitFor(() => taskCount() <= tasksBefore));
  const tasks = taskCount();
  const fds = fdCount();

  for (let i = 0; i < 3; i++) {
    const w = throwing();
    // Both listeners at once: Node may emit 'error' and 'exit' in the same turn.
    const errored = new Promise<Error>((resolve) => w.once('error', resolve));
    const exited = ended(w);
    t.is((await errored).message, 'boom');
    t.is(await exited, 1);
    const l = looping();
    await new Promise((r) => l.once('message', r));
    await l.terminate();
  }
  t.true(await waitFor(() => taskCount() === tasks), `threads: ${taskCount()} now, ${tasks} before`);
  // Not more than before (a leak adds fds); other tests alongside may close theirs meanwhile.
  t.true(await waitFor(() => fdCount() <= fds), `fds: ${fdCount()} now, ${fds} before`);
  t.is(threadNsInode(), originalInode);
});

test.serial('a closed handle throws ERR_NETNS_CLOSED and bad arguments ERR_INVALID_ARG_TYPE before anything is spawned', async (t) => {
  const { ns } = openNamedNS(t, 'er');
  const marker = path.join(tmpdir(), `netns-procs-${process.pid}-marker`);
  const tasks = taskCount();

  // Node's own checks of the later arguments run inside the call, before the fork.
  const badArgs: Array<[string, () => unknown]> = [
    ['spawn(42)', () => ns.spawn(42 as never)],
    ['spawn(file, args, 42)', () => ns.spawn('touch', [marker], 42 as never)],
    ['spawnSync(null)', () => ns.spawnSync(null as never)],
    ['exec({})', () => ns.exec({} as never)],
    ['execSync(1)', () => ns.execSync(1 as never)],
    ['execFile(file, 42)', () => ns.execFile('touch', 42 as never)],
    ['execFileSync(file, args, 42)', () => ns.execFileSync('touch', [marker], 42 as never)],
    ['fork(7)', () => ns.fork(7 as never)],
    ['worker(7)', () => ns.worker(7 as never)],
    ['worker(file, 7)', () => ns.worker(path.join(fixtures, 'print-ns.cjs'), 7 as never)],
  ];
  for (const [what, call] of badArgs) {
    t.throws(call, { instanceOf: TypeError, code: 'ERR_INVALID_ARG_TYPE' }, what);
    t.is(threadNsInode(), originalInode, what);
  }

  ns.close();
  const closed: Array<[string, () => unknown]> = [
    ['spawn', () => ns.spawn('touch', [marker])],
    ['exec', () => ns.exec(`touch ${marker}`)],
    ['execFile', () => ns.execFile('touch', [marker])],
    ['fork', () => ns.fork(path.join(fixtures, 'print-ns.cjs'))],
    ['spawnSync', () => ns.spawnSync('touch', [marker])],
    ['execSync', () => ns.execSync(`touch ${marker}`)],
    ['execFileSync', () => ns.execFileSync('touch', [marker])],
    ['worker', () => ns.worker(path.join(fixtures, 'print-ns.cjs'))],
    ['closed before the argument check', () => ns.spawn(42 as never)],
  ];
  for (const [what, call] of closed) {
    t.throws(call, { instanceOf: NetNSClosedError, code: 'ERR_NETNS_CLOSED' }, what);
  }
  await new Promise((r) => setTimeout(r, 200));
  t.false(existsSync(marker));
  t.true(await waitFor(() => taskCount() <= tasks));
});

test.serial('methods are on the prototype, not enumerable, like class methods', (t) => {
  for (const name of ['spawn', 'exec', 'execFile', 'fork', 'spawnSync', 'execSync', 'execFileSync', 'worker']) {
    const desc = Object.getOwnPropertyDescriptor(NetNS.prototype, name);
    t.is(typeof desc?.value, 'function', name);
    t.false(desc?.enumerable, name);
  }
});
