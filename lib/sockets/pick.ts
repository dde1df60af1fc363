/**
 * The connect options found in a larger options object (request options, `tls.connect` options,
 * `http2.connect` options), for the clients that take options meant for more than the socket.
 */

/** The keys of a TCP or unix connect that are taken over when present. */
const CONNECT_KEYS = [
  'host', 'port', 'family', 'hints', 'lookup', 'localAddress', 'localPort', 'timeout', 'noDelay', 'keepAlive',
  'keepAliveInitialDelay', 'allowHalfOpen', 'onread', 'signal', 'mark', 'device',
] as const;

/**
 * The options of a connect, picked from `options`; everything else is left out, as `net.connect`
 * ignores it. A unix path is `socketPath` or `path` (Node's agents and `http.request` give
 * `createConnection` the socket path as `path`, never the URL's path). `keys` narrows the pick.
 * @internal
 */
export function pickConnectOptions(options: Record<string, unknown>, keys: readonly string[] = CONNECT_KEYS): Record<string, unknown> {
  const picked: Record<string, unknown> = {};
  for (const key of keys) {
    if (options[key] !== undefined && options[key] !== null) picked[key] = options[key];
  }
  const path = options.socketPath ?? options.path;
  if (typeof path === 'string') picked.path = path;
  return picked;
}

/** The connect keys without `signal` (the agents' requests handle their own signals). @internal */
export const AGENT_CONNECT_KEYS: readonly string[] = CONNECT_KEYS.filter((k) => k !== 'signal');
