/**
 * Child processes and worker threads started inside a namespace.
 *
 * Both are created synchronously on the calling thread: `child_process` forks inside the call
 * (the Sync forms and the callback forms of `exec`/`execFile` too), and `new Worker()` creates its
 * thread in the constructor. A child or a thread inherits the namespace of the thread that created
 * it, so each call here is one `NetNS.do()` around the Node function: the calling thread is inside
 * the namespace only for that call.
 */
import * as childProcess from 'node:child_process';
import { Worker, type WorkerOptions } from 'node:worker_threads';

import { withChildView, workerWithView } from './childview';
import { callInRootless } from './rootless-child';
import { validateObject, validateString, validateStringOrURL } from './validate';

/**
 * The part of a namespace handle this module needs: the gated fd and `do()`. `NetNS` is one;
 * this module never imports it.
 */
export interface NamespaceRunner {
  /** The open namespace fd; throws if the handle is closed. */
  readonly fd: number;
  /** Runs `fn` synchronously with the calling thread inside the namespace. */
  do<T>(fn: () => T): T;
  /** The folder whose files replace /etc's under `{ netnsView: true }` (`/etc/netns/<name>`). */
  readonly etcDir: string | undefined;
  /** Whether the namespace is rootless: its children start through `nsenter` (lib/rootless-child.ts). */
  readonly rootless: boolean;
}

/** The `child_process` functions `NetNS` mirrors, by method name, with the name of their first argument. */
const processFunctions = {
  spawn: [childProcess.spawn, 'file'],
  exec: [childProcess.exec, 'command'],
  execFile: [childProcess.execFile, 'file'],
  fork: [childProcess.fork, 'modulePath'],
  spawnSync: [childProcess.spawnSync, 'file'],
  execSync: [childProcess.execSync, 'command'],
  execFileSync: [childProcess.execFileSync, 'file'],
} as const;

/** The names of the `child_process` methods of `NetNS`. */
export type ProcessMethodName = keyof typeof processFunctions;

/**
 * Calls `child_process[name](...args)` with the calling thread inside `ns`, after the handle
 * gate and a check of the first argument. Node validates the rest itself before it forks, and
 * `do()` switches the thread back when it throws.
 */
function callInNs(ns: NamespaceRunner, name: ProcessMethodName, args: unknown[]): unknown {
  void ns.fd; // The gate: a closed handle throws ERR_NETNS_CLOSED before anything else.
  const [fn, firstArg] = processFunctions[name] as readonly [(...a: unknown[]) => unknown, string];
  if (name === 'fork') validateStringOrURL(args[0], firstArg);
  else validateString(args[0], firstArg);
  const call = withChildView(ns, name, args);
  if (ns.rootless) return callInRootless(ns.fd, name, call, fn, name.endsWith('Sync'));
  return ns.do(() => fn(...call));
}

/**
 * The `child_process` methods of `NetNS`, as property descriptors for its prototype. Each one
 * keeps the signature and result of the `child_process` function of the same name.
 * @internal
 */
export const processMethods: PropertyDescriptorMap = Object.fromEntries(
  (Object.keys(processFunctions) as ProcessMethodName[]).map((name) => {
    const method = {
      [name](this: NamespaceRunner, ...args: unknown[]): unknown {
        return callInNs(this, name, args);
      },
    }[name];
    return [name, { value: method, writable: true, configurable: true, enumerable: false }];
  }),
);

/**
 * Starts a `worker_threads` Worker whose thread is inside `ns` from its first line.
 * @internal
 */
export function workerInNs(ns: NamespaceRunner, filename: unknown, options?: unknown): Worker {
  void ns.fd; // The gate: ERR_NETNS_CLOSED before anything else.
  validateStringOrURL(filename, 'filename');
  if (options !== undefined) validateObject(options, 'options');
  const [file, opts] = workerWithView(ns.etcDir, filename, options as Record<string, unknown> | undefined);
  return ns.do(() => new Worker(file, opts as WorkerOptions | undefined));
}
