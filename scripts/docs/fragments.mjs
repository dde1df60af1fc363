// Type-checks the ```js fragment / ```ts fragment blocks of the docs against the package's own
// declarations (dist/index.d.ts, dist/index.d.mts through package.json's exports), with the
// TypeScript compiler: strict, and `checkJs` for js. Each block is its own module (an ES module
// when it has a static import or export, else CommonJS), so blocks do not see each other's names.
import { mkdirSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import ts from 'typescript';

import { isModule } from './blocks.mjs';

/** A scratch directory inside the repository, so that `ws`, `undici`, ... resolve from its node_modules. */
export function scratchDir(repo, name) {
  const dir = join(repo, 'node_modules', '.cache', 'netns-docs', `${name}-${process.pid}-${Date.now()}`);
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(join(dir, 'node_modules'), { recursive: true });
  symlinkSync(repo, join(dir, 'node_modules', 'netns'));
  return dir;
}

/**
 * Type-checks `blocks` (fragments); returns one entry per block, `{ block, errors }`, where
 * `errors` are the compiler's messages with the line in the markdown file.
 */
export function checkFragments(repo, blocks) {
  const dir = scratchDir(repo, 'fragments');
  try {
    const files = blocks.map((b, i) => {
      const ext = `${isModule(b.code) ? 'm' : 'c'}${b.lang}`;
      const file = join(dir, `fragment-${i}.${ext}`);
      writeFileSync(file, b.code);
      return file;
    });
    const options = {
      strict: true,
      noEmit: true,
      allowJs: true,
      checkJs: true,
      target: ts.ScriptTarget.ES2022,
      module: ts.ModuleKind.NodeNext,
      moduleResolution: ts.ModuleResolutionKind.NodeNext,
      moduleDetection: ts.ModuleDetectionKind.Force,
      lib: ['lib.es2022.d.ts', 'lib.esnext.disposable.d.ts'],
      types: ['node'],
      typeRoots: [join(repo, 'node_modules', '@types')],
      skipLibCheck: true,
      esModuleInterop: true,
    };
    const program = ts.createProgram(files, options);
    const all = ts.getPreEmitDiagnostics(program);
    return blocks.map((block, i) => {
      const errors = all
        .filter((d) => d.file?.fileName === files[i] || (!d.file && i === 0))
        .map((d) => {
          const text = ts.flattenDiagnosticMessageText(d.messageText, '\n');
          if (!d.file || d.start === undefined) return `TS${d.code}: ${text}`;
          const { line } = d.file.getLineAndCharacterOfPosition(d.start);
          return `${block.file}:${block.line + 1 + line}: TS${d.code}: ${text}`;
        });
      return { block, errors };
    });
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
