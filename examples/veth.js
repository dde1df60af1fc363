// Builds a two-namespace network without the `ip` binary: two anonymous namespaces joined by a
// veth pair, addresses on both ends, and a TCP connection from one to a server in the other.
'use strict';
const net = require('node:net');
const { createNetNS } = require('../dist');

const red = createNetNS(); // anonymous: gone when the handles (and sockets in them) are
const blue = createNetNS();

red.addVeth('veth-red', 'veth-blue', blue); // veth-blue is created inside blue
red.addAddress('veth-red', '10.7.0.1/30');
blue.addAddress('veth-blue', '10.7.0.2/30');
red.setLinkUp('veth-red');
blue.setLinkUp('veth-blue');
console.log('red: ', red.links());
console.log('blue:', blue.links());

const server = blue.listen(
  net.createServer((s) => s.end(`hello ${s.remoteAddress}, this is blue\n`)),
  { host: '10.7.0.2', port: 0 },
  () => {
    const { port } = server.address();
    red
      .connect({ host: '10.7.0.2', port })
      .on('data', (d) => process.stdout.write(`red got: ${d}`))
      .on('close', () => {
        server.close();
        red.close();
        blue.close();
      });
  },
);
