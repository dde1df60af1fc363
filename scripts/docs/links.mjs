// Checks the links between the docs (README.md, docs/**/*.md, the generated docs/api/ too): every
// relative link must name a file or directory of the repository, and every `#anchor` a heading
// (or an explicit `<a id>`/`<a name>`) of the markdown file it points to, with GitHub's anchors.
// Links to other sites are not followed (CI has no network).
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';

/**
 * Guides other developers are writing in parallel: a link to one of them is accepted while the
 * file does not exist yet. The lead empties this list when their branches are merged.
 */
export const PENDING = [];

/** Every markdown file the links are checked in. */
export function linkedFiles(repo) {
  const out = [join(repo, 'README.md')];
  const walk = (dir) => {
    if (!existsSync(dir)) return;
    for (const e of readdirSync(dir, { withFileTypes: true }).sort((a, b) => a.name.localeCompare(b.name))) {
      const p = join(dir, e.name);
      if (e.isDirectory()) walk(p);
      else if (e.name.endsWith('.md')) out.push(p);
    }
  };
  walk(join(repo, 'docs'));
  return out;
}

/** The text with fenced blocks and inline code blanked (so that code that looks like a link is not one). */
function prose(text) {
  const lines = text.split('\n');
  let fence = null;
  for (let i = 0; i < lines.length; i++) {
    const m = /^\s*(`{3,}|~{3,})/.exec(lines[i]);
    if (fence) {
      if (m && m[1][0] === fence[0] && m[1].length >= fence.length && /^\s*[`~]+\s*$/.test(lines[i])) fence = null;
      lines[i] = '';
    } else if (m && !/`/.test(lines[i].slice(lines[i].indexOf(m[1]) + m[1].length))) {
      fence = m[1];
      lines[i] = '';
    }
  }
  return lines.map((l) => l.replace(/(`+)(?:(?!\1)[\s\S])*?\1/g, (s) => ' '.repeat(s.length)));
}

/** GitHub's anchor for a heading text: markdown marks dropped, lowercased, punctuation removed, spaces to '-'. */
export function slug(heading) {
  const text = heading
    .replace(/!?\[([^\]]*)\]\([^)]*\)/g, '$1')
    .replace(/<[^>]+>/g, '')
    .replace(/\\(.)/g, '$1')
    .toLowerCase()
    .trim();
  return text.replace(/[^\p{L}\p{N}\p{M}\s_-]/gu, '').replace(/\s/g, '-');
}

/** The anchors of one markdown text: its headings' slugs (duplicates numbered as GitHub does) and explicit ids. */
export function anchorsOf(text) {
  const anchors = new Set();
  const seen = new Map();
  const raw = text.split('\n');
  let fence = null;
  for (const line of raw) {
    const f = /^\s*(`{3,}|~{3,})/.exec(line);
    if (fence) {
      if (f && f[1][0] === fence[0] && f[1].length >= fence.length) fence = null;
      continue;
    }
    if (f) {
      fence = f[1];
      continue;
    }
    const h = /^ {0,3}#{1,6}\s+(.*?)\s*#*\s*$/.exec(line);
    if (h) {
      const base = slug(h[1]);
      const n = seen.get(base) ?? 0;
      seen.set(base, n + 1);
      anchors.add(n === 0 ? base : `${base}-${n}`);
    }
    for (const m of line.matchAll(/<a\s+(?:id|name)="([^"]+)"/g)) anchors.add(m[1]);
  }
  return anchors;
}

/** The links of one markdown text: `{ line, target }` (inline links, images and reference definitions). */
export function linksOf(text) {
  const out = [];
  prose(text).forEach((line, i) => {
    for (const m of line.matchAll(/\]\(\s*<?([^)\s>]+)>?(?:\s+"[^"]*")?\s*\)/g)) out.push({ line: i + 1, target: m[1] });
    const def = /^ {0,3}\[[^\]]+\]:\s*<?(\S+?)>?(?:\s+"[^"]*")?\s*$/.exec(line);
    if (def) out.push({ line: i + 1, target: def[1] });
  });
  return out;
}

/** The broken links of the docs, as `file:line: target: why` strings; empty when all resolve. */
export function brokenLinks(repo, pending = PENDING) {
  const broken = [];
  const cache = new Map();
  const anchors = (file) => {
    if (!cache.has(file)) cache.set(file, anchorsOf(readFileSync(file, 'utf8')));
    return cache.get(file);
  };
  for (const file of linkedFiles(repo)) {
    const rel = relative(repo, file);
    for (const { line, target } of linksOf(readFileSync(file, 'utf8'))) {
      if (/^[a-z][a-z0-9+.-]*:/i.test(target)) continue; // https:, mailto:, ...: another site
      const hash = target.indexOf('#');
      const pathPart = decodeURIComponent(hash < 0 ? target : target.slice(0, hash));
      const anchor = hash < 0 ? '' : decodeURIComponent(target.slice(hash + 1));
      const dest = pathPart === '' ? file : resolve(dirname(file), pathPart);
      const destRel = relative(repo, dest);
      const where = `${rel}:${line}: ${target}`;
      if (destRel.startsWith('..')) {
        broken.push(`${where}: points outside the repository`);
        continue;
      }
      if (!existsSync(dest)) {
        if (!pending.includes(destRel)) broken.push(`${where}: ${destRel} does not exist`);
        continue;
      }
      if (anchor && statSync(dest).isFile() && dest.endsWith('.md') && !anchors(dest).has(anchor)) {
        broken.push(`${where}: ${destRel} has no heading or anchor '#${anchor}'`);
      }
    }
  }
  return broken;
}
