/**
 * `netnsView: true` for child processes: the child sees the files of the namespace's etc
 * directory over `/etc`'s and a `/sys` of the namespace, as under `ip netns exec`. The command is
 * run through util-linux `unshare` (a private mount namespace, `/` made a slave) and `sh`, which
 * bind the files and mount a new sysfs, then exec the command. The child is still started inside
 * the namespace by the calling thread, so the new sysfs shows the namespace's links. Only the
 * child's mount namespace changes; nothing of the parent's.
 */
import { resolve as resolvePath } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

import { validateBoolean } from './validate';

/** The script `sh` runs before exec'ing the command: `$0` is the etc dir (or empty). */
const SETUP = [
  'if [ -n "$0" ] && [ -d "$0" ]; then',
  '  for f in "$0"/* "$0"/.[!.]*; do [ -e "$f" ] && mount --bind "$f" "/etc/${f##*/}" 2>/dev/null; done',
  'fi',
  'umount -l /sys 2>/dev/null; mount -t sysfs sysfs /sys 2>/dev/null',
  'exec "$@"',
].join('\n');

/** The program and leading arguments that wrap a command into the view of `etcDir`. */
function wrapper(etcDir: string | undefined): [string, string[]] {
  return ['unshare', ['--mount', '--propagation', 'slave', '--', 'sh', '-c', SETUP, etcDir ?? '']];
}

function quote(s: string): string {
  return `'${s.replace(/'/g, "'\\''")}'`;
}

/** The options object of a `child_process` call, by method name and arguments. */
function optionsIndex(name: string, args: unknown[]): number {
  if (name === 'exec' || name === 'execSync') return 1;
  return Array.isArray(args[1]) || (args[1] == null && args.length > 2) ? 2 : 1;
}

/**
 * Rewrites the arguments of `child_process[name]` so that `program` runs with `lead`, then the
 * command: for `exec` a shell line, for `fork` the options' `execPath` and `execArgv`, for the
 * others the file and its arguments. Nothing else changes.
 * @internal
 */
export function wrapCall(name: string, args: unknown[], program: string, lead: string[]): unknown[] {
  const out = [...args];
  if (name === 'exec' || name === 'execSync') {
    out[0] = [program, ...lead, '/bin/sh', '-c', String(args[0])].map(quote).join(' ');
  } else if (name === 'fork') {
    const at = optionsIndex(name, args);
    const options = (args[at] ?? {}) as Record<string, unknown>;
    const execArgv = (options.execArgv as string[] | undefined) ?? process.execArgv;
    out[at] = { ...options, execPath: program, execArgv: [...lead, (options.execPath as string | undefined) ?? process.execPath, ...execArgv] };
  } else {
    const given = Array.isArray(args[1]) ? (args[1] as string[]) : [];
    const replace = Array.isArray(args[1]) || (args.length > 1 && args[1] == null) ? 1 : 0;
    out.splice(1, replace, [...lead, String(args[0]), ...given]);
    out[0] = program;
  }
  return out;
}

/**
 * Rewrites the arguments of `child_process[name]` so that the child runs in the view of `ns`,
 * when its options ask for `netnsView: true`; the option itself is removed. Other calls are
 * returned unchanged.
 * @internal
 */
export function withChildView(ns: { readonly etcDir: string | undefined }, name: string, args: unknown[]): unknown[] {
  const at = optionsIndex(name, args);
  const options = args[at];
  if (options === null || typeof options !== 'object' || !('netnsView' in options)) return args;
  const { netnsView, ...rest } = options as { netnsView?: unknown } & Record<string, unknown>;
  if (netnsView === undefined) return args;
  validateBoolean(netnsView, 'options.netnsView');
  const out = [...args];
  out[at] = rest;
  if (!netnsView) return out;
  const [program, lead] = wrapper(ns.etcDir);
  return wrapCall(name, out, program, lead);
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
