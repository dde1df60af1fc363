// Runs a ```js / ```ts block of the docs as a complete program, the way the convention promises:
// as root, in a private mount, network and pid namespace (scripts/docs/sandbox.sh) where the
// named namespaces `blue` and `red` exist, with `require('netns')` / `import ... from 'netns'`
// resolving to this repository's built package (dist/). It must exit 0 within 20 s and leave
// nothing behind.
import { spawnSync } from 'node:child_process';
import { rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';

import { isModule } from './blocks.mjs';
import { scratchDir } from './fragments.mjs';

/** The file name a block runs as: ES module when it imports or exports, else CommonJS. */
export function programName(block) {
  const esm = isModule(block.code);
  return `example.${esm ? 'm' : 'c'}${block.lang}`;
}

/** Runs `block` (a program) against the package in `repo`; resolves nothing, returns `{ ok, status, output }`. */
export function runExample(repo, block) {
  // Inside the repository's node_modules/.cache, so that `undici`, `ws`, ... resolve too.
  const app = scratchDir(repo, 'example');
  try {
    const file = join(app, programName(block));
    writeFileSync(file, block.code);
    const node = [process.execPath];
    if (block.lang === 'ts') {
      const tsx = createRequire(join(repo, 'package.json')).resolve('tsx');
      node.push(`--import=${pathToFileURL(tsx).href}`);
    }
    node.push(file);
    const r = spawnSync(
      'unshare',
      ['--mount', '--net', '--pid', '--fork', '--mount-proc', '--propagation', 'private', 'bash', join(repo, 'scripts', 'docs', 'sandbox.sh'), join(app, 'scratch'), ...node],
      { cwd: app, encoding: 'utf8', timeout: 60_000, env: { ...process.env, NODE_OPTIONS: '' } },
    );
    const output = `${r.stdout ?? ''}${r.stderr ?? ''}${r.error ? String(r.error) : ''}`;
    return { ok: r.status === 0, status: r.status, output };
  } finally {
    rmSync(app, { recursive: true, force: true });
  }
}
