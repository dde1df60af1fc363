/** Every comparison the benchmark runs, in the order of the benchmark issue. */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import * as dgram from 'node:dgram';
import { once } from 'node:events';
import * as dns from 'node:dns';
import { closeSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import * as http from 'node:http';
import * as net from 'node:net';

import { Agent } from 'undici';

import { createNetNS, createSocketFd, deleteNetNS, getNS, getNSFromName, listNetNS, setSocketPoolSize, type NetNS } from '../dist';
import { native } from '../dist/lib/native';
import type { CFloor } from './cfloor';
import { formatNs, median, timeAsync, timeSync, type Comparison, type Peer } from './harness';
import { benchNamespace, benchRunDir, floor, onCleanup } from './fixtures';
import type { PeerRunner } from './peers';

/**
 * Context for making comparisons: `quick` shrinks batches; `extra` collects reported facts; `c`
 * runs the C floor; `go` and `py` run the peer programs (absent when their toolchain is).
 */
export interface BenchContext {
  quick: boolean;
  extra: Record<string, unknown>;
  c: CFloor;
  go?: PeerRunner;
  py?: PeerRunner;
}

/** The peers that exist on this machine, each running `op` on `arg` with the row's loop count. */
function peers(list: [PeerRunner | undefined, string, string, string, number?][]): Peer[] {
  return list.flatMap(([runner, label, op, arg, target]) =>
    runner ? [{ label, target, run: (n: number) => runner(op, arg, n) }] : [],
  );
}

type Maker = (ctx: BenchContext) => Promise<Comparison[]> | Comparison[];

const noop = () => {};

/** Closes `ns` at cleanup. */
function opened(ns: NetNS): NetNS {
  onCleanup(() => ns.close());
  return ns;
}

/** 1. `ns.do(() => {})` against open + setns + setns back + close in a C loop. */
const doAgainstC: Maker = ({ quick, c, go, py }) => {
  const { path } = benchNamespace();
  const ns = opened(getNS(path));
  return [
    {
      id: '1',
      title: '`ns.do(() => {})` vs the same syscalls in C (open `/proc/thread-self/ns/net`, setns there and back, close)',
      ours: { label: 'ns.do', run: (n) => timeSync(n, () => ns.do(noop)) },
      floor: { label: 'C loop', run: (n) => c(['do', path], n) },
      peers: [
        { label: 'the same loop in Rust (crates/floor)', run: (n: number) => floor('do', path, n) },
        ...peers([
          [go, 'Go ns.Do', 'cni-do', path, 5],
        [go, 'vishvananda Get+Set+Set', 'vish-set', path],
          [py, 'pyroute2 pushns+popns', 'pushpop', path],
        ]),
      ],
      n: quick ? 2_000 : 10_000,
      goal: 'max',
      target: 1.3,
    },
  ];
};

/**
 * 2. A TCP socket made inside a namespace (the fd path of `ns.connect`) against the same syscalls
 * in Rust (one switch per socket): with the handle's pool of spares (2a), and with the pool off (2b).
 */
const socketAgainstRust: Maker = ({ quick, go, py }) => {
  const { path } = benchNamespace();
  const ns = opened(getNS(path));
  const spec = { family: 'ipv4', kind: 'stream' } as const;
  const floorRun = { label: 'Rust loop', run: (n: number) => floor('socket', path, n) };
  const n = quick ? 2_000 : 10_000;
  const unpooled = (k: number) => {
    const size = setSocketPoolSize(0);
    try {
      return timeSync(k, () => closeSync(createSocketFd(ns, spec)));
    } finally {
      setSocketPoolSize(size);
    }
  };
  const createSocketBatch = quick ? 10 : 50;
  return [
    {
      id: '2a',
      title: 'TCP socket inside a namespace (`createSocketFd` + close, pool of spares on) vs the same syscalls in Rust',
      ours: { label: 'createSocketFd', run: (k) => timeSync(k, () => closeSync(createSocketFd(ns, spec))) },
      floor: floorRun,
      peers: [
        ...peers([
          [go, 'Go ns.Do+socket', 'cni-socket', path],
          [py, 'pyroute2 pushns+socket+popns', 'push-socket', path],
        ]),
        // pyroute2's own create_socket() forks a child per socket (~40 ms): a smaller batch.
        ...peers([[py, `pyroute2 create_socket (${createSocketBatch} per batch)`, 'socket', path]]).map((p) => ({
          ...p,
          run: () => p.run(createSocketBatch),
        })),
      ],
      n,
      goal: 'max',
      target: 1.3,
    },
    {
      id: '2b',
      title: 'the same with the pool off (`setSocketPoolSize(0)`: one switch per socket)',
      ours: { label: 'createSocketFd', run: unpooled },
      floor: floorRun,
      n,
      goal: 'max',
      target: 1.3,
    },
  ];
};

/** A TCP server answering every byte with the same byte. */
function echoServer(): net.Server {
  return net.createServer((s) => s.on('data', (d) => s.write(d)).on('error', noop));
}

/** Opens a connection with `open`, sends one byte, waits for it to come back, closes. */
function tcpRoundTrip(open: (onConnect: () => void) => net.Socket): Promise<void> {
  return new Promise((resolve, reject) => {
    const sock = open(() => sock.write('x'));
    sock.once('data', () => {
      sock.destroy();
      resolve();
    });
    sock.once('error', reject);
  });
}

/** Sends one datagram from a fresh bound socket to `port`, waits for the echo, closes. */
function udpRoundTrip(make: () => dgram.Socket, port: number): Promise<void> {
  return new Promise((resolve, reject) => {
    const sock = make();
    sock.once('message', () => {
      sock.close();
      resolve();
    });
    sock.once('error', reject);
    sock.send('x', port, '127.0.0.1');
  });
}

function udpEcho(sock: dgram.Socket): dgram.Socket {
  return sock.on('message', (msg, rinfo) => sock.send(msg, rinfo.port, rinfo.address));
}

/** The port `server` listens on, once it listens (dgram's `address()` throws before that). */
async function listening(server: net.Server | dgram.Socket): Promise<number> {
  const port = () => {
    try {
      return (server.address() as net.AddressInfo | null)?.port;
    } catch {
      return undefined;
    }
  };
  if (!port()) await once(server, 'listening');
  return port() as number;
}

/** 3. `ns.connect` + a one-byte echo, and the same over UDP, against plain Node to an equivalent server. */
const roundTripsAgainstNode: Maker = async ({ quick, extra }) => {
  const ns = opened(getNS(benchNamespace().path));
  const nsServer = ns.listen(echoServer(), { host: '127.0.0.1', port: 0 });
  const hostServer = echoServer().listen(0, '127.0.0.1');
  const nsUdp = udpEcho(ns.createSocket({ type: 'udp4', address: '127.0.0.1', port: 0 }));
  const hostUdp = udpEcho(dgram.createSocket('udp4').bind(0, '127.0.0.1'));
  const [nsPort, hostPort, nsUdpPort, hostUdpPort] = await Promise.all([listening(nsServer), listening(hostServer), listening(nsUdp), listening(hostUdp)]);
  onCleanup(() => {
    nsServer.close();
    hostServer.close();
    nsUdp.close();
    hostUdp.close();
  });
  const n = quick ? 200 : 1_000;
  // What a namespace switch costs where it happens for real, between event-loop turns: the same
  // round trip with one `ns.do(noop)` before it. The difference to the bare round trip is the
  // price of entering and leaving once (setns twice, and opening the thread's namespace file).
  const bare = () => tcpRoundTrip((cb) => net.connect({ host: '127.0.0.1', port: hostPort }, cb));
  const switched = () => {
    ns.do(noop);
    return bare();
  };
  const bareTimes: number[] = [];
  const switchedTimes: number[] = [];
  for (let r = 0; r < 5; r++) {
    bareTimes.push(await timeAsync(n / 2, bare));
    switchedTimes.push(await timeAsync(n / 2, switched));
  }
  extra['one enter + leave between event-loop turns (round trip with a ns.do(noop) first, minus without)'] = formatNs(
    median(switchedTimes) - median(bareTimes),
  );
  return [
    {
      id: '3a',
      title: '`ns.connect` + 1-byte echo vs `net.connect` + the same',
      ours: { label: 'ns.connect', run: (k) => timeAsync(k, () => tcpRoundTrip((cb) => ns.connect({ host: '127.0.0.1', port: nsPort }, cb))) },
      floor: { label: 'net.connect', run: (k) => timeAsync(k, () => tcpRoundTrip((cb) => net.connect({ host: '127.0.0.1', port: hostPort }, cb))) },
      n,
      goal: 'max',
      target: 1.1,
    },
    {
      id: '3b',
      title: '`ns.createSocket` + 1 UDP datagram echoed vs `dgram` + the same',
      ours: {
        label: 'ns.createSocket',
        run: (k) => timeAsync(k, () => udpRoundTrip(() => ns.createSocket({ type: 'udp4', address: '127.0.0.1', port: 0 }), nsUdpPort)),
      },
      floor: {
        label: 'dgram',
        run: (k) => timeAsync(k, () => udpRoundTrip(() => dgram.createSocket('udp4').bind(0, '127.0.0.1'), hostUdpPort)),
      },
      n,
      goal: 'max',
      target: 1.25,
    },
  ];
};

/** `createNetNS(name)` + `deleteNetNS(name)` in `runDir` (default: the system's), timed over `k` names. */
function createDelete(k: number, name: () => string, runDir?: string): number {
  const options = runDir === undefined ? undefined : { runDir };
  return timeSync(k, () => {
    const n = name();
    createNetNS(n, options).close();
    deleteNetNS(n, options);
  });
}

/**
 * 4. `createNetNS(name)` + `deleteNetNS(name)` against the same syscalls in C under the run
 * directory's lock; `ip netns add` + `del` and the peers beside.
 */
const lifecycleAgainstC: Maker = ({ quick, c, go, py }) => {
  let i = 0;
  const name = () => `bn${process.pid}l${++i}`;
  const prefix = () => `bn${process.pid}p${++i}x`;
  return [
    {
      id: '4',
      title: '`createNetNS(name)` + `deleteNetNS(name)` vs the same syscalls in C with the run-directory lock',
      ours: { label: 'createNetNS+deleteNetNS', run: (k) => createDelete(k, name) },
      floor: { label: 'C loop', run: (k) => c(['named', '/run/netns', prefix()], k) },
      peers: [
        {
          label: 'ip netns add+del',
          run: (k: number) =>
            timeSync(k, () => {
              const n = name();
              if (spawnSync('ip', ['netns', 'add', n]).status !== 0) throw new Error(`ip netns add ${n} failed`);
              if (spawnSync('ip', ['netns', 'del', n]).status !== 0) throw new Error(`ip netns del ${n} failed`);
            }),
        },
        ...(go ? [{ label: 'vishvananda NewNamed+DeleteNamed', target: 1, run: (k: number) => go('vish-named', prefix(), k) }] : []),
        ...(py ? [{ label: 'pyroute2 netns.create+remove', target: 1, run: (k: number) => py('named', prefix(), k) }] : []),
      ],
      n: quick ? 10 : 40,
      goal: 'max',
      target: 1.3,
    },
  ];
};

/** Spawns and waits for exit; rejects on a failed spawn or a non-zero exit. */
async function runToExit(child: ChildProcess): Promise<void> {
  const [code] = (await once(child, 'exit')) as [number | null];
  if (code !== 0) throw new Error(`child exited with ${code}`);
}

/** 5. `ns.spawn('true')` until exit against `child_process.spawn('true')` and `ip netns exec NS true`. */
const spawnAgainstNode: Maker = ({ quick }) => {
  const { name, path } = benchNamespace();
  const ns = opened(getNS(path));
  const n = quick ? 20 : 100;
  const ours = { label: 'ns.spawn', run: (k: number) => timeAsync(k, () => runToExit(ns.spawn('true'))) };
  return [
    {
      id: '5a',
      title: "`ns.spawn('true')` until exit vs `child_process.spawn('true')`",
      ours,
      floor: { label: 'spawn', run: (k) => timeAsync(k, () => runToExit(spawn('true'))) },
      n,
      goal: 'max',
      target: 1.1,
    },
    {
      id: '5b',
      title: "`ns.spawn('true')` until exit vs `ip netns exec NS true`",
      ours,
      floor: { label: 'ip netns exec', run: (k) => timeAsync(k, () => runToExit(spawn('ip', ['netns', 'exec', name, 'true']))) },
      n,
      goal: 'min',
      target: 1,
    },
  ];
};

/** The machine's kernel slab memory (`Slab` of /proc/meminfo), in bytes: other processes add noise. */
function slabBytes(): number {
  return Number(/^Slab:\s+(\d+) kB/m.exec(readFileSync('/proc/meminfo', 'utf8'))?.[1] ?? NaN) * 1024;
}

/** What one thing costs, measured over `count` of them. */
interface Cost {
  fds: number;
  heapBytes: number;
  slabBytes: number;
}

/**
 * Fds, JS heap and kernel slab memory per thing that `make` opens (and `release` closes), over
 * `count` of them, after a warm-up round of the same size (so that heap and fd table have grown).
 */
function costOf<T>(count: number, make: () => T, release: (made: T[]) => void): Cost {
  const gc = (globalThis as { gc?: () => void }).gc;
  if (!gc) throw new Error('the benchmark needs --expose-gc');
  const fdCount = () => readdirSync('/proc/self/fd').length;
  release(Array.from({ length: count }, make));
  gc();
  const fds0 = fdCount();
  const heap0 = process.memoryUsage().heapUsed;
  const slab0 = slabBytes();
  const made = Array.from({ length: count }, make);
  gc();
  const cost = { fds: (fdCount() - fds0) / count, heapBytes: (process.memoryUsage().heapUsed - heap0) / count, slabBytes: (slabBytes() - slab0) / count };
  release(made);
  return cost;
}

/** One open handle of `path`: its fd, its JS object, the kernel's open file. */
function perHandleCost(count: number, path = '/proc/self/ns/net'): Cost {
  return costOf(count, () => getNS(path), (hs) => hs.forEach((h) => h.close()));
}

/**
 * One handle's pool of spare sockets (default size): a handle with a full pool, minus a handle.
 * The spares' fds and kernel sockets; the pool's native bookkeeping (a small map) is not seen.
 */
function perPoolCost(path: string, count: number): Cost {
  const spec = { family: 'ipv4', kind: 'stream' } as const;
  const withPool = costOf(
    count,
    () => {
      const h = getNS(path);
      // A handle's first socket of a kind is made alone; the second fills its pool with spares.
      for (let i = 0; i < 2; i++) closeSync(createSocketFd(h, spec));
      return h;
    },
    (hs) => hs.forEach((h) => h.close()),
  );
  const bare = perHandleCost(count, path);
  const cost = { fds: withPool.fds - bare.fds, heapBytes: withPool.heapBytes - bare.heapBytes, slabBytes: withPool.slabBytes - bare.slabBytes };
  if (cost.fds < 1) throw new Error(`bench: the pools hold ${cost.fds} sockets per handle; they were not filled`);
  return cost;
}

/** Creates `count` named namespaces in `runDir` called `<prefix><i>`; returns their names. */
function manyNamed(runDir: string, prefix: string, count: number): string[] {
  const names = Array.from({ length: count }, (_, i) => `${prefix}${i}`);
  for (const name of names) createNetNS(name, { runDir }).close();
  return names;
}

/**
 * 6. Scale: `ns.do` and `ns.connect` across 1,000 open anonymous namespaces against one; memory
 * and fds per handle and per pool of spare sockets; `listNetNS()`, named creation and lookups
 * with many named namespaces against one.
 */
const scale: Maker = async ({ quick, extra, c }) => {
  const count = quick ? 100 : 1_000;
  const many: NetNS[] = [];
  const ports: number[] = [];
  const servers: net.Server[] = [];
  onCleanup(() => {
    for (const s of servers) s.close();
    for (const ns of many) ns.close();
  });
  for (let i = 0; i < count; i++) {
    const ns = createNetNS();
    ns.setLinkUp('lo');
    many.push(ns);
    const server = ns.listen(echoServer(), { host: '127.0.0.1', port: 0 });
    servers.push(server);
    ports.push(await listening(server));
  }
  const handles = quick ? 1_000 : 10_000;
  const handleCost = perHandleCost(handles);
  extra[`one open NetNS handle (${handles.toLocaleString('en')} handles)`] =
    `${handleCost.fds.toFixed(2)} fd; ${handleCost.heapBytes.toFixed(0)} bytes of JS heap; ${handleCost.slabBytes.toFixed(0)} bytes of kernel slab (its open file; the machine's Slab in /proc/meminfo, so other processes add noise)`;
  const pools = quick ? 100 : 1_000;
  const poolCost = perPoolCost(benchNamespace().path, pools);
  extra[`one handle's pool of spare sockets, default size (${pools.toLocaleString('en')} handles, minus the handles)`] =
    `${poolCost.fds.toFixed(2)} sockets (fds); ${poolCost.heapBytes.toFixed(0)} bytes of JS heap; ${(poolCost.slabBytes / 1024).toFixed(1)} KiB of kernel slab (same caveat)`;

  // Named namespaces: a run directory of the bench's own with `named` of them, and one with one.
  const named = quick ? 100 : 1_000;
  const removeAll = (dir: string) => listNetNS({ runDir: dir, withStale: true }).forEach((n) => deleteNetNS(n, { runDir: dir }));
  const bigDir = benchRunDir('many', removeAll);
  const smallDir = benchRunDir('one', removeAll);
  const bigNames = manyNamed(bigDir, `bn${process.pid}s`, named);
  manyNamed(smallDir, `bn${process.pid}t`, 1);
  let k = 0;
  const fresh = () => `bn${process.pid}c${++k}`;

  // Lookups: 100 of those namespaces with a hosts file each, against one of them.
  const spread = quick ? 20 : 100;
  const lookupNs: NetNS[] = [];
  onCleanup(() => lookupNs.forEach((ns) => ns.close()));
  for (const name of bigNames.slice(0, spread)) {
    const dir = `/etc/netns/${name}`;
    mkdirSync(dir, { recursive: true });
    onCleanup(() => rmSync(dir, { recursive: true, force: true }));
    writeFileSync(`${dir}/hosts`, '10.77.7.8 bench-spread\n');
    lookupNs.push(getNSFromName(name, { runDir: bigDir }));
  }
  const lookup = (ns: NetNS) => ns.promises.lookup('bench-spread').then(noop);

  let next = 0;
  const one = many[0];
  return [
    {
      id: '6a',
      title: `\`ns.do\` cycling over ${count.toLocaleString('en')} open anonymous namespaces vs on 1`,
      ours: { label: `${count} namespaces`, run: (n) => timeSync(n, () => many[next++ % count].do(noop)) },
      floor: { label: '1 namespace', run: (n) => timeSync(n, () => one.do(noop)) },
      n: quick ? 5_000 : 50_000,
      goal: 'max',
      target: 1.1,
    },
    {
      id: '6b',
      title: `\`ns.connect\` + echo cycling over ${count.toLocaleString('en')} namespaces vs to 1`,
      ours: {
        label: `${count} namespaces`,
        run: (n) =>
          timeAsync(n, () => {
            const i = next++ % count;
            return tcpRoundTrip((cb) => many[i].connect({ host: '127.0.0.1', port: ports[i] }, cb));
          }),
      },
      floor: { label: '1 namespace', run: (n) => timeAsync(n, () => tcpRoundTrip((cb) => one.connect({ host: '127.0.0.1', port: ports[0] }, cb))) },
      n: quick ? 200 : 1_000,
      goal: 'max',
      target: 1.2,
    },
    {
      id: '6c',
      title: `\`listNetNS()\` of a run directory with ${named.toLocaleString('en')} named namespaces, per name, vs of one with 1`,
      ours: { label: `per name of ${named}`, run: (n) => timeSync(n, () => listNetNS({ runDir: bigDir })) / named },
      floor: { label: 'list of 1', run: (n) => timeSync(n, () => listNetNS({ runDir: smallDir })) },
      n: quick ? 20 : 100,
      goal: 'max',
      target: 1.1,
    },
    {
      id: '6d',
      title: `\`createNetNS(name)\` + \`deleteNetNS(name)\` in a run directory with ${named.toLocaleString('en')} named namespaces vs with 1`,
      ours: { label: `with ${named}`, run: (n) => createDelete(n, fresh, bigDir) },
      floor: { label: 'with 1', run: (n) => createDelete(n, fresh, smallDir) },
      // The kernel's share: the C loop of row 4 in the same two directories.
      peers: [
        { label: `C loop with ${named}`, run: (n: number) => c(['named', bigDir, `${fresh()}x`], n) },
        { label: 'C loop with 1', run: (n: number) => c(['named', smallDir, `${fresh()}x`], n) },
      ],
      n: quick ? 10 : 40,
      goal: 'max',
      target: 1.1,
    },
    {
      id: '6e',
      title: `\`ns.lookup\` (warm) spread over ${spread} named namespaces vs on 1`,
      ours: { label: `${spread} namespaces`, run: (n) => timeAsync(n, () => lookup(lookupNs[next++ % spread])) },
      floor: { label: '1 namespace', run: (n) => timeAsync(n, () => lookup(lookupNs[0])) },
      n: quick ? 200 : 2_000,
      goal: 'max',
      target: 1.1,
    },
  ];
};

/**
 * 7. `ns.lookup` of a name in `/etc/netns/<name>/hosts` (a resolver thread inside the namespace
 * with that view of /etc) vs `dns.lookup` of `localhost` from the host's `/etc/hosts` (the libuv
 * pool). Warm: the resolver thread is reused. The cold cost (a new thread, its mount namespace
 * and bind mounts) is reported apart.
 */
const lookupAgainstNode: Maker = async ({ quick, extra }) => {
  const { name } = benchNamespace();
  const dir = `/etc/netns/${name}`;
  mkdirSync(dir, { recursive: true });
  onCleanup(() => rmSync(dir, { recursive: true, force: true }));
  writeFileSync(`${dir}/hosts`, '10.77.7.7 bench-only-here\n');
  const ns = opened(getNSFromName(name));
  const colds: number[] = [];
  for (let i = 0; i < 5; i += 1) {
    // Each round waits for the idle resolver thread to end, so the next lookup starts a new one.
    while (native.resolverThreads() > 0) await new Promise((r) => setTimeout(r, 100));
    const t0 = process.hrtime.bigint();
    await ns.promises.lookup('bench-only-here');
    colds.push(Number(process.hrtime.bigint() - t0));
  }
  extra.lookupColdNs = formatNs(median(colds));
  return [
    {
      id: '8',
      title: '`ns.lookup` of a name in /etc/netns/<name>/hosts vs `dns.lookup` of a name in /etc/hosts (warm)',
      ours: { label: 'ns.lookup', run: (n) => timeAsync(n, () => ns.promises.lookup('bench-only-here').then(noop)) },
      floor: { label: 'dns.lookup', run: (n) => timeAsync(n, () => dns.promises.lookup('localhost').then(noop)) },
      n: quick ? 200 : 2_000,
      goal: 'max',
      target: 1.5,
    },
  ];
};

/** 7. Global `fetch` through `ns.dispatcher()` against `fetch` with undici's default `Agent`, keep-alive, to an equivalent server. */
const fetchAgainstUndici: Maker = async ({ quick }) => {
  const ns = opened(getNS(benchNamespace().path));
  const answer = (_q: http.IncomingMessage, r: http.ServerResponse) => r.end('x');
  const nsServer = ns.listen(http.createServer(answer), { host: '127.0.0.1', port: 0 });
  const hostServer = http.createServer(answer).listen(0, '127.0.0.1');
  const [nsPort, hostPort] = await Promise.all([listening(nsServer), listening(hostServer)]);
  const ours = ns.dispatcher();
  const theirs = new Agent();
  onCleanup(() => {
    void ours.close();
    void theirs.close();
    nsServer.close();
    hostServer.close();
  });
  const get = async (url: string, dispatcher: Agent) => {
    await (await fetch(url, { dispatcher } as RequestInit)).text();
  };
  return [
    {
      id: '7',
      title: '`fetch` through `ns.dispatcher()` vs `fetch` with undici\'s `Agent`, keep-alive',
      ours: { label: 'ns.dispatcher', run: (k) => timeAsync(k, () => get(`http://127.0.0.1:${nsPort}/`, ours)) },
      floor: { label: 'undici Agent', run: (k) => timeAsync(k, () => get(`http://127.0.0.1:${hostPort}/`, theirs)) },
      n: quick ? 200 : 1_000,
      goal: 'max',
      target: 1.1,
    },
  ];
};

/**
 * 9. Rootless namespaces: `ns.connect` + echo in one (its sockets made by the rootless helper,
 * handed over with SCM_RIGHTS, spares pooled) against `net.connect` + echo; and the cost of a
 * rootless creation while the helper runs, against a privileged anonymous creation. The first
 * creation, which starts the helper (fork, user namespace, maps), is reported apart.
 */
const rootlessAgainstNode: Maker = async ({ quick, extra }) => {
  const colds: number[] = [];
  for (let i = 0; i < 5; i++) {
    const t0 = process.hrtime.bigint();
    createNetNS({ rootless: true }).close(); // the last handle: the helper ends with it
    colds.push(Number(process.hrtime.bigint() - t0));
  }
  extra['first rootless creation + close (helper fork, user namespace, first namespace, helper reaped)'] = formatNs(median(colds));
  const ns = opened(createNetNS({ rootless: true }));
  ns.setLinkUp('lo');
  const nsServer = ns.listen(echoServer(), { host: '127.0.0.1', port: 0 });
  const hostServer = echoServer().listen(0, '127.0.0.1');
  const [nsPort, hostPort] = await Promise.all([listening(nsServer), listening(hostServer)]);
  onCleanup(() => {
    nsServer.close();
    hostServer.close();
  });
  return [
    {
      id: '9a',
      title: 'rootless `ns.connect` + 1-byte echo vs `net.connect` + the same',
      ours: { label: 'rootless ns.connect', run: (k) => timeAsync(k, () => tcpRoundTrip((cb) => ns.connect({ host: '127.0.0.1', port: nsPort }, cb))) },
      floor: { label: 'net.connect', run: (k) => timeAsync(k, () => tcpRoundTrip((cb) => net.connect({ host: '127.0.0.1', port: hostPort }, cb))) },
      n: quick ? 200 : 1_000,
      goal: 'max',
      target: 1.2,
    },
    {
      id: '9b',
      title: '`createNetNS({ rootless: true })` + close (helper running) vs `createNetNS()` + close (privileged)',
      ours: { label: 'rootless', run: (k) => timeSync(k, () => createNetNS({ rootless: true }).close()) },
      floor: { label: 'privileged', run: (k) => timeSync(k, () => createNetNS().close()) },
      n: quick ? 50 : 200,
      goal: 'max',
      target: 2,
      note: 'a rootless creation is one round trip to the helper, whose thread unshares the namespace',
    },
  ];
};

/**
 * 10. `ns.addRoute` + `ns.deleteRoute` (two rtnetlink requests, each on a socket made inside the
 * namespace) against `ip -n NAME route add` + `ip -n NAME route del` (two processes).
 */
const routesAgainstIp: Maker = ({ quick }) => {
  const { name, path } = benchNamespace();
  const ns = opened(getNS(path));
  ns.addVeth('b0', 'b1');
  ns.addAddress('b0', '10.90.0.1/24');
  ns.setLinkUp('b0');
  const route = { to: '10.91.0.0/16', via: '10.90.0.2' };
  const ipRoute = (verb: string) => {
    if (spawnSync('ip', ['-n', name, 'route', verb, route.to, 'via', route.via]).status !== 0) throw new Error(`ip route ${verb} failed`);
  };
  return [
    {
      id: '10',
      title: '`ns.addRoute` + `ns.deleteRoute` vs `ip route add` + `ip route del`',
      ours: {
        label: 'addRoute+deleteRoute',
        run: (k) =>
          timeSync(k, () => {
            ns.addRoute(route);
            ns.deleteRoute(route);
          }),
      },
      floor: {
        label: 'ip route add+del',
        run: (k) =>
          timeSync(k, () => {
            ipRoute('add');
            ipRoute('del');
          }),
      },
      n: quick ? 20 : 100,
      goal: 'min',
      target: 10,
    },
  ];
};

/** The comparisons, in order. */
export const comparisons: Maker[] = [doAgainstC, socketAgainstRust, roundTripsAgainstNode, lifecycleAgainstC, spawnAgainstNode, scale, fetchAgainstUndici, lookupAgainstNode, rootlessAgainstNode, routesAgainstIp];
