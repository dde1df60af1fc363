// The netns example: two named namespaces joined by a veth pair, a server inside one, a marked
// client inside the other, a few messages each way, and a transcript of what happened. Nothing is
// spawned: namespaces, links and addresses are made through the package (unshare, bind mounts,
// rtnetlink). Everything it makes is removed at the end, also on an error or Ctrl-C.
//
// As root it makes named namespaces (what `ip netns add` makes). As an ordinary user, or with
// `--rootless`, it makes rootless ones instead: owned by the user, with no privilege at all
// (docs/rootless.md), and gone when their handles and sockets are.
'use strict';
const net = require('node:net');
const { once } = require('node:events');
const { createNetNS, deleteNetNS, listNetNS, getCurrentNS, getMark } = require('netns');

// `--hold`: keep the network up after the transcript, to look at it with `ip`, until Ctrl-C.
const HOLD = process.argv.includes('--hold');
const ROOTLESS = process.argv.includes('--rootless') || process.getuid() !== 0;
const MARK = 0x2a;
const ROUNDS = 3;
const names = { red: `red-${process.pid}`, blue: `blue-${process.pid}` };
const made = { namespaces: [], handles: [], closers: [] };

const log = (line) => console.log(line);

/** Removes what the example made: sockets, handles, then the named namespaces. */
function cleanup() {
  for (const close of made.closers.splice(0)) close();
  for (const ns of made.handles.splice(0)) ns.close();
  for (const name of made.namespaces.splice(0)) {
    try {
      deleteNetNS(name);
    } catch (e) {
      if (e.code !== 'ENOENT') console.error(`could not delete ${name}: ${e.message}`);
    }
  }
}

/** Resolves with the next line the socket receives. */
function readLine(socket) {
  return new Promise((resolve, reject) => {
    let text = '';
    const onData = (chunk) => {
      text += chunk;
      const newline = text.indexOf('\n');
      if (newline < 0) return;
      socket.off('data', onData).off('close', onClose);
      if (newline + 1 < text.length) socket.unshift(Buffer.from(text.slice(newline + 1)));
      resolve(text.slice(0, newline));
    };
    const onClose = () => reject(new Error('the connection closed early'));
    socket.on('data', onData).once('close', onClose);
  });
}

/** A server that answers each line `ping N ...` with `pong N from blue`. */
function pongServer() {
  return net.createServer((conn) => {
    let pending = '';
    conn.setEncoding('utf8').on('data', (text) => {
      pending += text;
      for (let i; (i = pending.indexOf('\n')) >= 0; pending = pending.slice(i + 1)) {
        conn.write(`pong ${pending.slice(0, i).split(' ')[1]} from blue\n`);
      }
    });
  });
}

/** A named namespace as root, a rootless one otherwise; either is removed by cleanup(). */
function makeNamespace(name) {
  const ns = ROOTLESS ? createNetNS({ rootless: true }) : createNetNS(name);
  if (!ROOTLESS) made.namespaces.push(name);
  made.handles.push(ns);
  return ns;
}

async function main() {
  const host = getCurrentNS();
  made.handles.push(host);
  const kind = ROOTLESS ? 'rootless' : 'named';
  log(`netns example: two ${kind} namespaces, a veth pair, a marked TCP connection between them`);
  log(`this thread starts in namespace inode ${host.inode}`);

  const red = makeNamespace(names.red);
  const blue = makeNamespace(names.blue);
  for (const [label, ns] of [['red', red], ['blue', blue]]) {
    log(`  namespace ${names[label].padEnd(12)} inode ${ns.inode}  ${ns.path}${ROOTLESS ? '  (rootless: no name, no privilege)' : ''}`);
  }
  if (!ROOTLESS) {
    const listed = listNetNS().filter((n) => n === names.red || n === names.blue);
    log(`  listNetNS(), which is what \`ip netns list\` reads, shows: ${listed.join(', ')}`);
  }

  red.addVeth('veth-red', 'veth-blue', blue);
  red.addAddress('veth-red', '10.77.0.1/30');
  blue.addAddress('veth-blue', '10.77.0.2/30');
  for (const [ns, link] of [[red, 'veth-red'], [blue, 'veth-blue']]) {
    ns.setLinkUp('lo');
    ns.setLinkUp(link);
  }
  log(`  veth pair: veth-red 10.77.0.1/30 in ${names.red} <-> veth-blue 10.77.0.2/30 in ${names.blue}`);

  const server = blue.listen(pongServer(), { host: '10.77.0.2', port: 0 });
  made.closers.push(() => server.close());
  await once(server, 'listening');
  const { port } = server.address();
  log(`server: listening on 10.77.0.2:${port} inside ${names.blue} (ns.listen)`);

  const client = red.connect({ host: '10.77.0.2', port, mark: MARK });
  made.closers.push(() => client.destroy());
  client.setEncoding('utf8');
  await once(client, 'connect');
  log(
    `client: ${client.localAddress}:${client.localPort} -> ${client.remoteAddress}:${client.remotePort} from inside ` +
      `${names.red}, SO_MARK 0x${getMark(client).toString(16)} (ns.connect; the mark was set before the SYN)`,
  );

  let sent = 0;
  let received = 0;
  for (let i = 1; i <= ROUNDS; i++) {
    const message = `ping ${i} from red`;
    client.write(`${message}\n`);
    sent += Buffer.byteLength(message) + 1;
    log(`  red  -> blue  "${message}" (${Buffer.byteLength(message) + 1} bytes)`);
    const reply = await readLine(client);
    received += Buffer.byteLength(reply) + 1;
    log(`  blue -> red   "${reply}" (${Buffer.byteLength(reply) + 1} bytes)`);
  }
  log(`bytes: red sent ${sent} and received ${received}; the socket counts ${client.bytesWritten} written, ${client.bytesRead} read`);
  if (client.bytesRead !== received || client.bytesWritten !== sent) throw new Error('the byte counts disagree');

  const after = getCurrentNS();
  log(`this thread ends in namespace inode ${after.inode}: ${after.equals(host) ? 'where it started' : 'NOT where it started'}`);
  const same = after.equals(host);
  after.close();
  if (!same) throw new Error('the thread did not come back to its namespace');
  if (HOLD) {
    if (ROOTLESS) {
      // Only a child can look inside a rootless namespace: it starts there (through nsenter).
      log(`inside ${names.red}, \`ip -br addr\` (red.execFileSync) says:`);
      for (const line of String(red.execFileSync('ip', ['-br', 'addr'])).trim().split('\n')) log(`  ${line}`);
      log('holding: rootless namespaces have no name for `ip -n`; Ctrl-C removes everything');
    } else {
      log(`holding: try \`ip -n ${names.red} addr\` or \`ip netns exec ${names.blue} ss -tn\`; Ctrl-C removes everything`);
    }
    await new Promise(() => setInterval(() => {}, 1 << 30));
  }
}

process.on('SIGINT', () => {
  log('interrupted: removing what was made');
  cleanup();
  process.exit(130);
});

main()
  .then(() => {
    cleanup();
    if (ROOTLESS) {
      log(`closed ${names.red} and ${names.blue}: rootless namespaces live only as long as their handles and sockets`);
      return;
    }
    const left = listNetNS().filter((n) => n === names.red || n === names.blue);
    if (left.length) throw new Error(`still listed after cleanup: ${left.join(', ')}`);
    log(`removed ${names.red} and ${names.blue}: neither is listed any more`);
  })
  .catch((e) => {
    console.error(`example failed: ${e.stack ?? e}`);
    cleanup();
    process.exitCode = 1;
  });
