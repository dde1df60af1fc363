// Enters a namespace made for the occasion, shows that the thread really moved, and that it came back.
'use strict';
const { execFileSync } = require('node:child_process');
const { getNS, getCurrentNS, gettid } = require('../dist');

const name = `netns-example-${process.pid}`;
execFileSync('ip', ['netns', 'add', name]);
try {
  const host = getCurrentNS();
  const ns = getNS(`/run/netns/${name}`);
  console.log(`thread ${gettid()} starts in ${host.path} (inode ${host.inode})`);
  const links = ns.do((hostNS) => {
    const here = getCurrentNS();
    console.log(`inside ${ns.path} (inode ${here.inode}); came from inode ${hostNS.inode}`);
    here.close();
    return execFileSync('ip', ['-o', 'link'], { encoding: 'utf8' }).trim();
  });
  console.log(`links inside:\n  ${links.split('\n').join('\n  ')}`);
  const after = getCurrentNS();
  console.log(`back in inode ${after.inode}: ${after.equals(host) ? 'same as before' : 'WRONG'}`);
  after.close();
  ns.close();
  host.close();
} finally {
  execFileSync('ip', ['netns', 'del', name]);
}
