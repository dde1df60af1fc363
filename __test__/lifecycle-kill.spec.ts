/**
 * Issue #14: a process that creates and deletes named namespaces, killed with SIGKILL at any
 * moment, leaves nothing that blocks a name, is listed, or is still mounted.
 *
 * The windows that matter (a creation's file made but not mounted yet; a deletion's unmount done
 * but not its unlink) last microseconds, so besides kills at random moments the child runs under
 * `strace`, which holds every `mount` (or every `unlink`) of an entry (`-P`) for a while
 * (`inject=...:delay_enter`): the test kills it once one of its threads is held in that call (its
 * number in `/proc/.../syscall`, its path read from the child's memory) on an entry that is half
 * made on disk, so the window is hit whatever the load.
 * Nothing of this is compiled into the package.
 */
import test, { type ExecutionContext } from 'ava';
import { execFileSync, spawn, spawnSync } from 'node:child_process';
import { closeSync, openSync, readdirSync, readFileSync, readSync } from 'node:fs';
import { join } from 'node:path';

import { createNetNS, deleteNetNS, getNSFromName, listNetNS } from '../dist';
import { checkNoThreadLeftBehind } from './helpers/kernel';
import { lcName, mountPointsUnder, mounts, tempRunDir } from './helpers/mounts';

checkNoThreadLeftBehind(test);

const SYSTEM_RUN_DIR = '/run/netns';
const FIXTURE = join(__dirname, 'fixtures', 'lifecycle-loop.js');
/**
 * How long strace holds the child in each delayed syscall, in microseconds: far longer than the
 * test can take to see the stop and kill, however loaded the machine; the child is killed at its
 * first delayed call, so this costs no time.
 */
const DELAY_US = 30_000_000;

interface Target {
  name: string;
  runDir: string;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

interface Loop {
  /** The pid of the node process, once it has loaded the package. */
  pid: Promise<number>;
  /** Starts the loop. */
  go: () => void;
  exited: Promise<number | null>;
  /** Kills strace, which would otherwise wait out its delay before it exits. */
  killTracer: () => void;
}

/** Children not yet known to have exited; killed when the test ends. */
const running = new Set<import('node:child_process').ChildProcess>();

/**
 * Starts a node process that loads the package and then, on `go()`, loops over `targets`,
 * under strace delaying every `delayed` syscall when given.
 */
function startLoop(targets: Target[], delayed?: 'mount' | 'unlink'): Loop {
  const node = [process.execPath, FIXTURE, JSON.stringify(targets)];
  // Only the calls on the entries themselves (-P): not the mounts of the run dir, for one.
  const paths = targets.flatMap(({ name, runDir }) => ['-P', join(runDir, name)]);
  const child = delayed
    ? spawn('strace', ['-f', '-qq', '-o', '/dev/null', '--seccomp-bpf', ...paths, '-e', `trace=${delayed}`, '-e', `inject=${delayed}:delay_enter=${DELAY_US}`, ...node], {
        stdio: ['pipe', 'pipe', 'ignore'],
      })
    : spawn(node[0], node.slice(1), { stdio: ['pipe', 'pipe', 'pipe'] });
  running.add(child);
  let stderr = '';
  child.stderr?.on('data', (d: Buffer) => (stderr += d.toString()));
  const exited = new Promise<number | null>((resolve) =>
    child.on('exit', (code) => {
      running.delete(child);
      resolve(code);
    }),
  );
  const pid = new Promise<number>((resolve, reject) => {
    let out = '';
    child.stdout.on('data', (d: Buffer) => {
      out += d.toString();
      if (out.includes('\n')) resolve(Number(out.split('\n')[0]));
    });
    void exited.then((code) => reject(new Error(`the loop exited before it printed its pid (${code}): ${stderr}`)));
    // strace missing (setup.sh installs it) or node failing to start.
    child.on('error', (e) => reject(new Error(`cannot start ${delayed ? 'strace' : 'node'}: ${e.message}`)));
  });
  // A child started for a round that never came (an earlier round failed) is killed on teardown.
  pid.catch(() => undefined);
  return { pid, exited, go: () => child.stdin?.write('go\n'), killTracer: () => delayed && child.kill('SIGKILL') };
}

/** The numbers of the delayed system calls, and which argument is the path they act on. */
const SYSCALLS: Record<string, Record<'mount' | 'unlink', [number, number]>> = {
  x64: { mount: [165, 1], unlink: [87, 0] },
};

/** The NUL-terminated string at `address` in the memory of process `pid`. */
function readString(pid: number, address: bigint): string {
  const fd = openSync(`/proc/${pid}/mem`, 'r');
  try {
    const buf = Buffer.alloc(4096);
    const n = readSync(fd, buf, 0, buf.length, address);
    const end = buf.indexOf(0);
    return buf.subarray(0, end >= 0 && end < n ? end : n).toString();
  } finally {
    closeSync(fd);
  }
}

/**
 * The path a thread of process `pid` is held on by its tracer in the `delayed` system call: a
 * thread stopped ('t') whose current system call (`/proc/.../syscall`) is that one. Other stops
 * (a new thread reported to the tracer) do not count: they end at once, the delayed call does not.
 */
function heldIn(pid: number, delayed: 'mount' | 'unlink'): string | undefined {
  const table = SYSCALLS[process.arch];
  if (!table) throw new Error(`the kill test knows the system call numbers of x64 only, not ${process.arch}`);
  const [nr, arg] = table[delayed];
  for (const tid of readdirSync(`/proc/${pid}/task`)) {
    try {
      // "tid (comm) S ...": the state follows the last ')'.
      const stat = readFileSync(`/proc/${pid}/task/${tid}/stat`, 'utf8');
      if (stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3) !== 't') continue;
      // "nr arg1 ... arg6 sp pc" while in a system call.
      const fields = readFileSync(`/proc/${pid}/task/${tid}/syscall`, 'utf8').trim().split(' ');
      if (Number(fields[0]) !== nr) continue;
      return readString(pid, BigInt(fields[1 + arg]));
    } catch {
      // the thread ended, or moved on meanwhile
    }
  }
  return undefined;
}

/** Waits until process `pid` is gone or a zombie (its files and mounts released). */
async function dead(pid: number): Promise<void> {
  for (;;) {
    try {
      const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
      if (stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3) === 'Z') return;
    } catch {
      return;
    }
    await sleep(1);
  }
}

/** The targets whose file exists with no mount on it: made half, or deleted half. */
function halfMade(targets: Target[]): Target[] {
  const points = new Set(mounts().map((m) => m.point));
  return targets.filter(({ name, runDir }) => {
    let entries: string[] = [];
    try {
      entries = readdirSync(runDir);
    } catch {
      // the run dir is not made yet
    }
    return entries.includes(name) && !points.has(join(runDir, name));
  });
}

/**
 * What must hold after any kill: only live namespaces are listed, every name can be created and
 * deleted again, and then nothing of ours is left on disk or in the mount table.
 */
function checkRecovers(t: ExecutionContext, targets: Target[], tempDir: string, when: string): void {
  for (const { name, runDir } of targets) {
    if (listNetNS({ runDir }).includes(name)) {
      // Listed: it must be a live namespace (killed after its mount). Remove it.
      t.notThrows(() => getNSFromName(name, { runDir }).close(), `${when}: listed ${name} is a namespace`);
      deleteNetNS(name, { runDir });
    }
    t.notThrows(() => createNetNS(name, { runDir }).close(), `${when}: ${name} in ${runDir} can be created again`);
    t.notThrows(() => deleteNetNS(name, { runDir }), `${when}: and deleted`);
  }
  t.deepEqual(readdirSync(tempDir), [], `${when}: nothing left in the temporary run dir`);
  t.deepEqual(
    readdirSync(SYSTEM_RUN_DIR).filter((e) => targets.some((x) => x.name === e)),
    [],
    `${when}: nothing of ours left in ${SYSTEM_RUN_DIR}`,
  );
  t.deepEqual(mountPointsUnder(tempDir), [tempDir], `${when}: the temporary run dir is mounted once, nothing in it`);
  const ourPaths = new Set(targets.map((x) => join(x.runDir, x.name)));
  t.deepEqual(
    mounts().filter((m) => ourPaths.has(m.point)),
    [],
    `${when}: no mount of ours left`,
  );
}

/** `ip netns list` run on `runDir` (bind-mounted on /run/netns in a mount namespace of its own). */
function ipNetnsListOf(runDir: string): { stdout: string; stderr: string } {
  const r = spawnSync('unshare', ['-m', 'sh', '-c', 'mount --bind "$1" /run/netns && exec ip netns list', 'sh', runDir], { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`ip netns list failed (${r.status}): ${r.stderr}`);
  return { stdout: r.stdout, stderr: r.stderr };
}

test.serial('a create/delete loop killed with SIGKILL at random moments and inside each window leaves nothing behind', async (t) => {
  const { runDir: tempDir } = tempRunDir(t);
  const targets: Target[] = [
    ...['a', 'b', 'c'].map((tag) => ({ name: lcName(`k${tag}`), runDir: tempDir })),
    ...['a', 'b'].map((tag) => ({ name: lcName(`k${tag}`), runDir: SYSTEM_RUN_DIR })),
  ];
  t.teardown(() => {
    for (const child of running) child.kill('SIGKILL');
    for (const { name, runDir } of targets) {
      if (runDir === SYSTEM_RUN_DIR) spawnSync('ip', ['netns', 'del', name], { stdio: 'ignore' });
    }
  });
  // The temporary run dir exists (and is a mount point) from the start, as after any first use.
  createNetNS(targets[0].name, { runDir: tempDir }).close();
  deleteNetNS(targets[0].name, { runDir: tempDir });

  const plan: ('random' | 'mount' | 'unlink')[] = [];
  for (let i = 0; i < 4; i++) plan.push('mount', 'unlink', 'random', 'random');
  let windowsHit = 0;
  const start = (mode: (typeof plan)[number]) => startLoop(targets, mode === 'random' ? undefined : mode);
  let next = start(plan[0]);
  for (const [i, mode] of plan.entries()) {
    const when = `round ${i} (${mode})`;
    const loop = next;
    const pid = await loop.pid;
    // The next child loads while this one runs and is checked.
    if (i + 1 < plan.length) next = start(plan[i + 1]);
    loop.go();
    if (mode === 'random') {
      await sleep(Math.random() * 25);
    } else {
      // Wait until a thread is held in the delayed syscall on an entry that is half made. (Held
      // at its entry: at its exit the entry would be whole, or gone.) Held there, it cannot go
      // on before the kill, however slow this process is.
      const deadline = Date.now() + 10_000;
      const held = () => {
        const path = heldIn(pid, mode);
        return path !== undefined && halfMade(targets).some((x) => join(x.runDir, x.name) === path);
      };
      while (!held()) {
        if (Date.now() > deadline) throw new Error(`${when}: the child never stopped in a window`);
        await sleep(1);
      }
    }
    process.kill(pid, 'SIGKILL');
    loop.killTracer();
    await loop.exited;
    await dead(pid);
    if (mode !== 'random') {
      t.true(halfMade(targets).length > 0, `${when}: the kill left a half-made entry`);
      windowsHit += 1;
    }
    // A half-made entry is not listed (but withStale lists it).
    for (const { name, runDir } of halfMade(targets)) {
      t.false(listNetNS({ runDir }).includes(name), `${when}: ${name} is not listed`);
      t.true(listNetNS({ runDir, withStale: true }).includes(name), `${when}: withStale lists ${name}`);
    }
    checkRecovers(t, targets, tempDir, when);
  }
  t.is(windowsHit, 8);

  const ip = ipNetnsListOf(tempDir);
  t.deepEqual(ip, { stdout: '', stderr: '' }, 'ip netns list finds nothing and prints no error');
  const system = execFileSync('ip', ['netns', 'list'], { encoding: 'utf8' });
  t.deepEqual(
    system.split('\n').filter((l) => targets.some((x) => l.split(' ')[0] === x.name)),
    [],
  );
});
