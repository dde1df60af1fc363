/** Every comparison the benchmark runs, in the order of the benchmark issue. */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import * as dgram from 'node:dgram';
import { once } from 'node:events';
import * as dns from 'node:dns';
import { closeSync, mkdirSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import * as http from 'node:http';
import * as net from 'node:net';

import { Agent } from 'undici';

import { createNetNS, createSocketFd, deleteNetNS, getNS, getNSFromName, setSocketPoolSize, type NetNS } from '../dist';
import { native } from '../dist/lib/native';
import { formatNs, median, timeAsync, timeSync, type Comparison, type Peer } from './harness';
import { benchNamespace, floor, onCleanup } from './fixtures';
import type { PeerRunner } from './peers';

/**
 * Context for making comparisons: `quick` shrinks batches; `extra` collects reported facts; `go`
 * and `py` run the peer programs (absent when their toolchain is).
 */
export interface BenchContext {
  quick: boolean;
  extra: Record<string, unknown>;
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

/** 1. `ns.do(() => {})` against open + setns + setns back + close in a Rust loop. */
const doAgainstRust: Maker = ({ quick, go, py, extra }) => {
  const { path } = benchNamespace();
  const ns = opened(getNS(path));
  // What a per-thread cache of the thread's own namespace fd would save, in the Rust loop: with
  // the cache checked by stat(/proc/thread-self/ns/net) (correct), and unchecked (not correct:
  // a thread moved by anyone else would be restored to a stale namespace).
  const ops = ['do', 'do-cached-checked', 'do-cached'] as const;
  const times = ops.map(() => [] as number[]);
  for (let r = 0; r < 5; r++) ops.forEach((op, i) => times[i].push(floor(op, path, quick ? 5_000 : 50_000)));
  const [open, checked, unchecked] = times.map(median);
  extra['do() in Rust: open+setns+setns+close / cached home fd checked by stat / cached unchecked'] =
    `${formatNs(open)} / ${formatNs(checked)} / ${formatNs(unchecked)}`;
  return [
    {
      id: '1',
      title: '`ns.do(() => {})` vs the same syscalls in Rust',
      ours: { label: 'ns.do', run: (n) => timeSync(n, () => ns.do(noop)) },
      floor: { label: 'Rust loop', run: (n) => floor('do', path, n) },
      peers: peers([
        [go, 'Go ns.Do', 'cni-do', path, 5],
        [go, 'vishvananda Get+Set+Set', 'vish-set', path],
        [py, 'pyroute2 pushns+popns', 'pushpop', path],
      ]),
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

/** 4. `createNetNS(name)` + `deleteNetNS(name)` against `ip netns add` + `ip netns del`. */
const lifecycleAgainstIp: Maker = ({ quick, go, py }) => {
  let i = 0;
  const name = () => `bn${process.pid}l${++i}`;
  const prefix = () => `bn${process.pid}p${++i}x`;
  return [
    {
      id: '4',
      title: '`createNetNS(name)` + `deleteNetNS(name)` vs `ip netns add` + `ip netns del`',
      ours: {
        label: 'createNetNS+deleteNetNS',
        run: (k) =>
          timeSync(k, () => {
            const n = name();
            createNetNS(n).close();
            deleteNetNS(n);
          }),
      },
      floor: {
        label: 'ip netns add+del',
        run: (k) =>
          timeSync(k, () => {
            const n = name();
            if (spawnSync('ip', ['netns', 'add', n]).status !== 0) throw new Error(`ip netns add ${n} failed`);
            if (spawnSync('ip', ['netns', 'del', n]).status !== 0) throw new Error(`ip netns del ${n} failed`);
          }),
      },
      peers: [
        ...(go ? [{ label: 'vishvananda NewNamed+DeleteNamed', target: 1, run: (k: number) => go('vish-named', prefix(), k) }] : []),
        ...(py ? [{ label: 'pyroute2 netns.create+remove', target: 1, run: (k: number) => py('named', prefix(), k) }] : []),
      ],
      n: quick ? 10 : 40,
      goal: 'min',
      target: 10,
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

/** Memory and fds that one open handle costs, measured over `count` handles. */
async function perHandleCost(count: number): Promise<{ fds: number; heapBytes: number; rssBytes: number }> {
  const gc = (globalThis as { gc?: () => void }).gc;
  if (!gc) throw new Error('the benchmark needs --expose-gc');
  const fdCount = () => readdirSync('/proc/self/fd').length;
  gc();
  const fds0 = fdCount();
  const mem0 = process.memoryUsage();
  const handles: NetNS[] = [];
  for (let i = 0; i < count; i++) handles.push(getNS('/proc/self/ns/net'));
  gc();
  const fds1 = fdCount();
  const mem1 = process.memoryUsage();
  for (const h of handles) h.close();
  return { fds: (fds1 - fds0) / count, heapBytes: (mem1.heapUsed - mem0.heapUsed) / count, rssBytes: (mem1.rss - mem0.rss) / count };
}

/** 6. `ns.do` and `ns.connect` across 1,000 open namespaces against one; memory and fds per handle. */
const scale: Maker = async ({ quick, extra }) => {
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
  const handleCost = await perHandleCost(quick ? 1_000 : 10_000);
  extra[`fds per open NetNS handle (${quick ? '1,000' : '10,000'} handles)`] = handleCost.fds.toFixed(2);
  extra['JS heap per open handle'] = `${handleCost.heapBytes.toFixed(0)} bytes`;
  extra['resident memory per open handle'] = `${handleCost.rssBytes.toFixed(0)} bytes`;
  let next = 0;
  const one = many[0];
  return [
    {
      id: '6a',
      title: `\`ns.do\` cycling over ${count.toLocaleString('en')} open namespaces vs on 1`,
      ours: { label: `${count} namespaces`, run: (k) => timeSync(k, () => many[next++ % count].do(noop)) },
      floor: { label: '1 namespace', run: (k) => timeSync(k, () => one.do(noop)) },
      n: quick ? 5_000 : 50_000,
      goal: 'max',
      target: 1.2,
    },
    {
      id: '6b',
      title: `\`ns.connect\` + echo cycling over ${count.toLocaleString('en')} namespaces vs to 1`,
      ours: {
        label: `${count} namespaces`,
        run: (k) =>
          timeAsync(k, () => {
            const i = next++ % count;
            return tcpRoundTrip((cb) => many[i].connect({ host: '127.0.0.1', port: ports[i] }, cb));
          }),
      },
      floor: { label: '1 namespace', run: (k) => timeAsync(k, () => tcpRoundTrip((cb) => one.connect({ host: '127.0.0.1', port: ports[0] }, cb))) },
      n: quick ? 200 : 1_000,
      goal: 'max',
      target: 1.2,
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
export const comparisons: Maker[] = [doAgainstRust, socketAgainstRust, roundTripsAgainstNode, lifecycleAgainstIp, spawnAgainstNode, scale, fetchAgainstUndici, lookupAgainstNode, rootlessAgainstNode, routesAgainstIp];
