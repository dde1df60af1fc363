/**
 * `netnsView: true` for child processes: the child sees the files of the namespace's etc
 * directory over `/etc`'s and a `/sys` of the namespace, as under `ip netns exec`. The command is
 * run through util-linux `unshare` (a private mount namespace, `/` made a slave) and `sh`, which
 * bind the files and mount a new sysfs, then exec the command. The child is still started inside
 * the namespace by the calling thread, so the new sysfs shows the namespace's links. Only the
 * child's mount namespace changes; nothing of the parent's.
 */
import { statSync } from 'node:fs';
import { delimiter, join, resolve as resolvePath } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

import { NetNSViewUnavailableError } from './errors';
import { validateBoolean } from './validate';

/**
 * The script the shell runs before exec'ing the command: `$0` is the etc dir (or empty), `$1`
 * the command's `argv0` (or empty: the program's name), the rest the command.
 */
const SETUP = [
  'a0=$1; shift',
  'if [ -n "$0" ] && [ -d "$0" ]; then',
  '  for f in "$0"/* "$0"/.[!.]*; do [ -e "$f" ] && mount --bind "$f" "/etc/${f##*/}" 2>/dev/null; done',
  'fi',
  'umount -l /sys 2>/dev/null; mount -t sysfs sysfs /sys 2>/dev/null',
  'if [ -n "$a0" ]; then exec -a "$a0" "$@"; fi',
  'exec "$@"',
].join('\n');

/** Where `execvp` looks for a program when the child's environment has no `PATH` (glibc's default). */
const DEFAULT_PATH = '/bin:/usr/bin';

/** The absolute path of `program` in the directories of `path`, as `execvp` would find it. */
function findProgram(program: string, path: string): string | undefined {
  for (const dir of path.split(delimiter)) {
    const file = join(dir || '.', program);
    try {
      const st = statSync(file);
      if (st.isFile() && (st.mode & 0o111) !== 0) return resolvePath(file);
    } catch {
      // Not there; the next directory.
    }
  }
  return undefined;
}

/** The child's `PATH`: from `options.env` when given (else the process's). */
function childPath(options: Record<string, unknown>): string {
  const env = (options.env ?? process.env) as Record<string, string | undefined>;
  return env.PATH ?? DEFAULT_PATH;
}

/**
 * The program and arguments that run `command` (program first) in the view of `etcDir`:
 * util-linux `unshare` (a private mount namespace, `/` a slave), then a shell that binds the
 * files, mounts a new sysfs and execs the command, with `argv0` as its `argv[0]` if given (that
 * needs bash's `exec -a`). Throws `NetNSViewUnavailableError` when one of them is missing.
 */
function wrap(etcDir: string | undefined, command: string[], argv0: string | undefined, path: string): [string, string[]] {
  const unshare = findProgram('unshare', path);
  if (unshare === undefined) {
    throw new NetNSViewUnavailableError(
      'unshare',
      `netnsView needs the unshare program of util-linux, which is not on the child's PATH (${path}): install util-linux`,
    );
  }
  let shell = '/bin/sh';
  if (argv0 !== undefined) {
    const bash = findProgram('bash', path);
    if (bash === undefined) {
      throw new NetNSViewUnavailableError('bash', `netnsView with options.argv0 needs bash (its exec -a), which is not on the child's PATH (${path})`);
    }
    shell = bash;
  }
  return [unshare, ['--mount', '--propagation', 'slave', '--', shell, '-c', SETUP, etcDir ?? '', argv0 ?? '', ...command]];
}

function quote(s: string): string {
  return `'${s.replace(/'/g, "'\\''")}'`;
}

/** A `child_process` call taken apart as Node takes it apart. */
interface ChildCall {
  /** The program (or, for `exec`, the command line; for `fork`, the module). */
  file: string;
  /** The arguments (none for `exec`). */
  args: unknown[];
  /** The options object, if the call has one. */
  options: Record<string, unknown> | undefined;
  /** What follows the options (the callback of `exec` and `execFile`). */
  rest: unknown[];
}

/**
 * Takes the arguments of `child_process[name]` apart as Node does: `args` may be an array,
 * `undefined` or `null` (then the options come next), or left out (the options come second).
 */
function parseCall(name: string, all: unknown[]): ChildCall {
  const [file, second, ...more] = all;
  const asOptions = (v: unknown) => (v !== null && typeof v === 'object' && !Array.isArray(v) ? (v as Record<string, unknown>) : undefined);
  if (name === 'exec' || name === 'execSync') return { file: String(file), args: [], options: asOptions(second), rest: asOptions(second) ? more : [second, ...more] };
  if (Array.isArray(second) || second === undefined || second === null) {
    const options = asOptions(more[0]);
    return { file: String(file), args: Array.isArray(second) ? second : [], options, rest: options ? more.slice(1) : more };
  }
  const options = asOptions(second);
  return { file: String(file), args: [], options, rest: options ? more : [second, ...more] };
}

/**
 * Rewrites the arguments of `child_process[name]` so that `program` runs with `lead`, then the
 * command, in every form Node accepts: for `exec` the shell line (in `options.shell` or
 * `/bin/sh`, run by `program`), for `fork` the options' `execPath` and `execArgv`, for the others
 * the file and its arguments, or, with `options.shell`, that shell running the joined line as Node
 * would run it. So a shell never runs outside `program`'s reach. Nothing else changes.
 * @internal
 */
export function wrapCall(name: string, all: unknown[], program: string, lead: string[]): unknown[] {
  const call = parseCall(name, all);
  const options = call.options ?? {};
  if (name === 'exec' || name === 'execSync') {
    const inner = typeof options.shell === 'string' ? options.shell : '/bin/sh';
    return [[program, ...lead, inner, '-c', call.file].map(quote).join(' '), call.options, ...call.rest];
  }
  if (name === 'fork') {
    const execArgv = (options.execArgv as string[] | undefined) ?? process.execArgv;
    const node = (options.execPath as string | undefined) ?? process.execPath;
    return [call.file, call.args, { ...options, execPath: program, execArgv: [...lead, node, ...execArgv] }, ...call.rest];
  }
  const { shell, ...rest } = options;
  const args = call.args.map(String);
  const command = shell ? [typeof shell === 'string' ? shell : '/bin/sh', '-c', [call.file, ...args].join(' ')] : [call.file, ...args];
  return [program, [...lead, ...command], call.options === undefined ? undefined : rest, ...call.rest];
}

/**
 * Rewrites the arguments of `child_process[name]` so that the child runs in the view of `ns`,
 * when its options ask for `netnsView: true`; the option itself is removed. Every form Node
 * accepts keeps its meaning: `args` left out, `undefined` or `null`; `shell` (`true` or a
 * path), run inside the view as Node would run it; `argv0`. Other calls are returned unchanged.
 * @internal
 */
export function withChildView(ns: { readonly etcDir: string | undefined }, name: string, all: unknown[]): unknown[] {
  const call = parseCall(name, all);
  if (call.options === undefined || !('netnsView' in call.options)) return all;
  const { netnsView, shell, argv0, ...rest } = call.options;
  if (netnsView === undefined) return all;
  validateBoolean(netnsView, 'options.netnsView');
  if (!netnsView) {
    const { netnsView: _, ...given } = call.options;
    return all.map((v) => (v === call.options ? given : v));
  }
  const path = childPath(rest);
  const a0 = typeof argv0 === 'string' ? argv0 : undefined;
  if (name === 'exec' || name === 'execSync') {
    // Node runs the command with `shell` (a path) or /bin/sh; that shell runs inside the view.
    const inner = typeof shell === 'string' ? shell : '/bin/sh';
    const [program, args] = wrap(ns.etcDir, [inner, '-c', call.file], a0, path);
    return [[program, ...args].map(quote).join(' '), rest, ...call.rest];
  }
  if (name === 'fork') {
    const execArgv = (rest.execArgv as string[] | undefined) ?? process.execArgv;
    const node = (rest.execPath as string | undefined) ?? process.execPath;
    const [program, args] = wrap(ns.etcDir, [node, ...execArgv], a0, path);
    return [call.file, call.args, { ...rest, execPath: program, execArgv: args }, ...call.rest];
  }
  const args = call.args.map(String);
  // shell: Node would join the command and its arguments with spaces for `/bin/sh -c` (or the
  // shell given); the same shell gets the same line, inside the view.
  const command = shell ? [typeof shell === 'string' ? shell : '/bin/sh', '-c', [call.file, ...args].join(' ')] : [call.file, ...args];
  const [program, wrapped] = wrap(ns.etcDir, command, a0, path);
  return [program, wrapped, rest, ...call.rest];
}

/** The file of the native binding loader, for the first line of a worker with the view. */
const NATIVE_MODULE = require.resolve('./native');

/** The code that loads a worker's script: `require` for CommonJS, `import()` for ES modules and URLs. */
function loader(filename: string | URL): string {
  if (filename instanceof URL) {
    if (filename.protocol === 'file:' && !/\.(mjs|mts)$/.test(filename.pathname)) {
      return `require(${JSON.stringify(fileURLToPath(filename))});`;
    }
    return `import(${JSON.stringify(filename.href)});`;
  }
  const path = resolvePath(filename);
  return /\.mjs$/.test(path) ? `import(${JSON.stringify(pathToFileURL(path).href)});` : `require(${JSON.stringify(path)});`;
}

/**
 * The arguments of `new Worker` for a worker with `netnsView: true`: its thread first enters the
 * view of `etcDir` (a mount namespace of its own, the files over /etc, a new /sys), then loads
 * the script. Other options are returned unchanged (without `netnsView`).
 * @internal
 */
export function workerWithView(etcDir: string | undefined, filename: string | URL, options: Record<string, unknown> | undefined): [string | URL, Record<string, unknown> | undefined] {
  if (options === undefined || !('netnsView' in options)) return [filename, options];
  const { netnsView, ...rest } = options;
  if (netnsView === undefined) return [filename, options];
  validateBoolean(netnsView, 'options.netnsView');
  if (!netnsView) return [filename, rest];
  const enter = `require(${JSON.stringify(NATIVE_MODULE)}).native.enterNetnsView(${JSON.stringify(etcDir ?? null)});\n`;
  const body = rest.eval === true ? String(filename) : loader(filename);
  return [enter + body, { ...rest, eval: true }];
}
