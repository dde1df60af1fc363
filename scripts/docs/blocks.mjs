// The fenced code blocks of the docs (README.md and docs/**/*.md, not the generated docs/api/),
// sorted by what the doc-example convention does with them:
//   ```js / ```ts                    a complete program, executed (scripts/docs/examples.mjs)
//   ```js fragment / ```ts fragment  type-checked against the package's declarations (fragments.mjs)
//   any other language (sh, text, console, json, ...)  not run
// A fence without a language, or with a JS/TS name the convention does not know (`javascript`,
// `mjs`, `js title=x`, ...), is refused: it would be neither run nor checked without anyone noticing.
import { readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';

/** Names that are JavaScript or TypeScript but not the convention's spelling of it. */
const JS_LIKE = /^(javascript|typescript|mjs|cjs|mts|cts|jsx|tsx|node|es6|js|ts)$/i;

/** The markdown files whose blocks follow the convention: README.md and docs/ without docs/api/. */
export function docFiles(repo) {
  const out = [join(repo, 'README.md')];
  const walk = (dir) => {
    let entries;
    try {
      entries = readdirSync(dir, { withFileTypes: true });
    } catch {
      return;
    }
    for (const e of entries.sort((a, b) => a.name.localeCompare(b.name))) {
      const p = join(dir, e.name);
      if (e.isDirectory() && relative(repo, p) !== join('docs', 'api')) walk(p);
      else if (e.isFile() && e.name.endsWith('.md')) out.push(p);
    }
  };
  walk(join(repo, 'docs'));
  return out;
}

/**
 * The fenced blocks of one markdown text: `{ line, info, code, kind, lang, problem }` where `line` is
 * the 1-based line of the opening fence, `kind` is 'program', 'fragment' or 'other', `lang` 'js' or
 * 'ts' (for the first two), and `problem` says why a fence breaks the convention.
 */
export function blocksOf(text) {
  const lines = text.split('\n');
  const blocks = [];
  for (let i = 0; i < lines.length; i++) {
    const open = /^(\s*)(`{3,}|~{3,})([^`]*)$/.exec(lines[i]);
    if (!open) continue;
    const indent = open[1].length;
    const fence = open[2];
    const info = open[3].trim();
    const body = [];
    let j = i + 1;
    for (; j < lines.length; j++) {
      const close = /^\s*(`{3,}|~{3,})\s*$/.exec(lines[j]);
      if (close && close[1][0] === fence[0] && close[1].length >= fence.length) break;
      body.push(lines[j].slice(Math.min(indent, lines[j].length - lines[j].trimStart().length)));
    }
    blocks.push({ line: i + 1, info, code: body.join('\n') + '\n', ...classify(info) });
    i = j;
  }
  return blocks;
}

function classify(info) {
  const words = info.split(/\s+/).filter(Boolean);
  if (words.length === 0) return { kind: 'other', problem: 'a fence without a language: say `text`, `sh`, `js`, `ts`, `js fragment` or `ts fragment`' };
  const [lang, ...rest] = words;
  if (lang === 'js' || lang === 'ts') {
    if (rest.length === 0) return { kind: 'program', lang };
    if (rest.length === 1 && rest[0] === 'fragment') return { kind: 'fragment', lang };
    return { kind: 'other', problem: `\`${info}\`: only \`${lang}\` (a program) or \`${lang} fragment\` are known` };
  }
  if (JS_LIKE.test(lang)) return { kind: 'other', problem: `\`${lang}\`: write \`js\` or \`ts\` (a program), or \`js fragment\` / \`ts fragment\`` };
  return { kind: 'other' };
}

/** Every block of every doc file, each with `file` (relative to the repository) added. */
export function allBlocks(repo) {
  return docFiles(repo).flatMap((f) => blocksOf(readFileSync(f, 'utf8')).map((b) => ({ file: relative(repo, f), ...b })));
}

/** Whether a block is an ES module (it has a static `import` or `export`); otherwise CommonJS. */
export function isModule(code) {
  return /^\s*(import\s*[\w{*'"]|export\s)/m.test(code);
}
