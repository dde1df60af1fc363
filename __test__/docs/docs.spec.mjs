// The docs are checked like code (`npm run test:docs`, part of `npm test`):
// - every ```js / ```ts block of README.md and docs/**/*.md runs as a complete program, as root,
//   in a private mount, network and pid namespace with `ip netns add` namespaces blue and red,
//   and must exit 0 within 20 s leaving nothing behind (scripts/docs/sandbox.sh);
// - every ```js fragment / ```ts fragment block type-checks against the package's declarations;
// - every fence names its language, so that no JS/TS block escapes both;
// - docs/api/ is what TypeDoc generates from the code now, and generating it fails on an exported
//   item without a doc comment;
// - every link between the docs resolves, anchors included;
// - docs/errors.md lists every error class of lib/errors.ts with its code, and every ERR_NETNS_* code.
// Each checker is also shown to fail on a bad input, so that none of them passes by construction.
import test from 'ava';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

import { differences, generateApi } from '../../scripts/docs/api.mjs';
import { allBlocks, blocksOf } from '../../scripts/docs/blocks.mjs';
import { runExample } from '../../scripts/docs/examples.mjs';
import { checkFragments, scratchDir } from '../../scripts/docs/fragments.mjs';
import { anchorsOf, brokenLinks, slug } from '../../scripts/docs/links.mjs';

const repo = join(fileURLToPath(new URL('.', import.meta.url)), '..', '..');
const blocks = allBlocks(repo);
const programs = blocks.filter((b) => b.kind === 'program');
const fragments = blocks.filter((b) => b.kind === 'fragment');

if (process.getuid?.() !== 0) throw new Error('the doc examples need root: they run in namespaces of their own');

test('the docs have examples of both kinds', (t) => {
  t.true(programs.length >= 10, `${programs.length} programs`);
  t.true(fragments.length >= 10, `${fragments.length} fragments`);
});

test('every fence of the docs names a language the convention knows', (t) => {
  t.deepEqual(
    blocks.filter((b) => b.problem).map((b) => `${b.file}:${b.line}: ${b.problem}`),
    [],
  );
});

test("the README's first commands are still the example and the test suite", (t) => {
  const first = blocksOf(readFileSync(join(repo, 'README.md'), 'utf8'))[0];
  t.is(first.info, 'sh');
  t.regex(first.code, /^npm run example\b/m);
  t.regex(first.code, /^npm ci && npm test\b/m);
});

for (const block of programs) {
  test.serial(`${block.file}:${block.line} (${block.lang}) runs`, (t) => {
    const r = runExample(repo, block);
    t.true(r.ok, `exit ${r.status}\n${r.output}`);
  });
}

let fragmentErrors;
test.before(() => {
  fragmentErrors = new Map(checkFragments(repo, fragments).map((r) => [r.block, r.errors]));
});
for (const block of fragments) {
  test(`${block.file}:${block.line} (${block.lang} fragment) type-checks`, (t) => {
    t.deepEqual(fragmentErrors.get(block), []);
  });
}

test.serial('docs/api/ is what TypeDoc generates from the code, with every export documented', (t) => {
  const out = scratchDir(repo, 'api');
  t.teardown(() => rmSync(out, { recursive: true, force: true }));
  const r = generateApi(repo, join(out, 'api'));
  t.true(r.ok, r.output);
  t.deepEqual(differences(join(out, 'api'), join(repo, 'docs', 'api')), [], 'docs/api/ is stale: run `npm run docs:api` and commit it');
});

test('every link between the docs resolves, anchors included', (t) => {
  t.deepEqual(brokenLinks(repo), []);
});

test('docs/errors.md lists every error class of lib/errors.ts with its code, and every ERR_NETNS_* code of lib/', (t) => {
  const source = readFileSync(join(repo, 'lib', 'errors.ts'), 'utf8');
  const doc = readFileSync(join(repo, 'docs', 'errors.md'), 'utf8');
  const rows = doc.split('\n').filter((l) => l.startsWith('|'));
  const classes = [...source.matchAll(/^export class (\w+) extends \w+ \{([\s\S]*?)^\}/gm)];
  t.true(classes.length >= 15, `${classes.length} classes`);
  for (const [, name, body] of classes) {
    const row = rows.find((l) => l.includes(`\`${name}\``));
    t.truthy(row, `${name} has no row`);
    const code = /'(ERR_[A-Z_]+)'/.exec(body)?.[1];
    if (code) t.true(row?.includes(`\`${code}\``), `${name}'s row does not say ${code}`);
  }
  // And every ERR_NETNS_* code the facade throws, whichever class carries it.
  const codes = new Set();
  const walk = (dir) => {
    for (const e of readdirSync(dir, { withFileTypes: true })) {
      const p = join(dir, e.name);
      if (e.isDirectory()) walk(p);
      else if (e.name.endsWith('.ts')) for (const m of readFileSync(p, 'utf8').matchAll(/'(ERR_NETNS_[A-Z_]+)'/g)) codes.add(m[1]);
    }
  };
  walk(join(repo, 'lib'));
  t.true(codes.size >= 10, `${codes.size} codes`);
  for (const code of codes) t.true(doc.includes(`\`${code}\``), `docs/errors.md does not say ${code}`);
});

// The checkers themselves: each fails where it must.

test.serial('the example runner fails a program that exits non-zero, outlives 20 s or leaves a namespace, a file or a link', (t) => {
  const js = (code) => ({ file: 'x.md', line: 1, kind: 'program', lang: 'js', code });
  const ok = runExample(repo, js("const { listNetNS, getNSFromName } = require('netns');\nif (listNetNS().join() !== 'blue,red') process.exit(5);\ngetNSFromName('blue').close();\n"));
  t.true(ok.ok, ok.output);
  t.is(runExample(repo, js('process.exit(2)')).status, 2);
  t.is(runExample(repo, js('setInterval(() => {}, 1000)')).status, 124);
  const made = runExample(repo, js("require('netns').createNetNS('green');"));
  t.is(made.status, 3);
  t.regex(made.output, /green/);
  t.is(runExample(repo, js("require('node:fs').writeFileSync('/etc/netns/x', '')")).status, 3);
  t.is(runExample(repo, js("require('netns').getNSFromName('blue').addVeth('va', 'vb')")).status, 3);
  const esm = runExample(repo, { ...js("import { getNSFromName } from 'netns';\nconst n: number = getNSFromName('red').inode;\nif (!n) process.exit(1);\n"), lang: 'ts' });
  t.true(esm.ok, esm.output);
});

test('the fragment checker reports a wrong member, a wrong option type and a missing export', (t) => {
  const [a, b] = checkFragments(repo, [
    { file: 'x.md', line: 10, kind: 'fragment', lang: 'js', code: "const { getNS } = require('netns');\nconst ns = getNS('/run/netns/blue');\nns.nothing();\n" },
    { file: 'x.md', line: 20, kind: 'fragment', lang: 'ts', code: "import { getNS, nothing } from 'netns';\ngetNS('/x').connect({ port: 1, mark: 'x' });\n" },
  ]);
  t.is(a.errors.length, 1);
  t.regex(a.errors[0], /^x\.md:13: TS2339/);
  t.is(b.errors.length, 2);
  t.regex(b.errors.join('\n'), /x\.md:21: TS\d+: .*'nothing'/);
  t.regex(b.errors.join('\n'), /x\.md:22: TS2322/);
});

test('the fence reader sorts blocks by the convention and refuses unknown JS/TS names', (t) => {
  const md = ['```js', 'a', '```', '```ts fragment', 'b', '```', '```sh', 'c', '```', '```javascript', 'd', '```', '```', 'e', '```', '  ```js fragment', '  f', '  ```'].join('\n');
  const got = blocksOf(md).map((b) => [b.line, b.kind, b.lang, Boolean(b.problem), b.code]);
  t.deepEqual(got, [
    [1, 'program', 'js', false, 'a\n'],
    [4, 'fragment', 'ts', false, 'b\n'],
    [7, 'other', undefined, false, 'c\n'],
    [10, 'other', undefined, true, 'd\n'],
    [13, 'other', undefined, true, 'e\n'],
    [16, 'fragment', 'js', false, 'f\n'],
  ]);
});

test.serial('the API check fails on an exported item without a doc comment', (t) => {
  // Not under node_modules/, which TypeDoc never documents.
  const dir = mkdtempSync(join(tmpdir(), 'netns-api-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  writeFileSync(join(dir, 'index.ts'), '/** Documented. */\nexport function documented(): void {}\nexport function undocumented(): void {}\n');
  writeFileSync(join(dir, 'tsconfig.json'), JSON.stringify({ compilerOptions: { strict: true, types: [] }, files: ['index.ts'] }));
  const options = { extends: [join(repo, 'typedoc.json')], entryPoints: [join(dir, 'index.ts')], tsconfig: join(dir, 'tsconfig.json') };
  writeFileSync(join(dir, 'typedoc.json'), JSON.stringify(options));
  const r = generateApi(repo, join(dir, 'out'), join(dir, 'typedoc.json'));
  t.false(r.ok);
  t.regex(r.output, /undocumented.*does not have any documentation/);
  t.false(/(^|\W)documented, defined/.test(r.output), r.output);
});

test('the link checker reports a missing file, a missing anchor and a path outside, and accepts pending guides', (t) => {
  const dir = scratchDir(repo, 'links');
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  mkdirSync(join(dir, 'docs'));
  writeFileSync(join(dir, 'README.md'), '# Top\n\n[a](docs/a.md#the-dofn-call) [b](docs/b.md) [c](docs/a.md#nope) [d](../../x) [p](docs/later.md) [s](#top) `[no](link.md)`\n');
  writeFileSync(join(dir, 'docs', 'a.md'), '# A\n\n## The `do(fn)` call\n\n```text\n[not](a/link.md)\n```\n');
  t.deepEqual(brokenLinks(dir, ['docs/later.md']), [
    'README.md:3: docs/b.md: docs/b.md does not exist',
    "README.md:3: docs/a.md#nope: docs/a.md has no heading or anchor '#nope'",
    'README.md:3: ../../x: points outside the repository',
  ]);
  t.is(slug('What `do(fn)` is for, and what it is not'), 'what-dofn-is-for-and-what-it-is-not');
  t.deepEqual([...anchorsOf('# A\n## A\n<a id="x"></a>\n')], ['a', 'a-1', 'x']);
});
