/**
 * Electron (21 and later) runs V8 with its memory cage, which refuses buffers whose memory lives
 * outside V8's heap: `napi_create_external_buffer` and `napi_create_external_arraybuffer` fail
 * there (napi-rs then falls back to a copy, or throws). The binding must never create one. The
 * built binary is the proof: with LTO, it imports exactly the Node-API functions its code can
 * call, so a `Buffer`/`ArrayBuffer` made from Rust memory anywhere in the binding shows up here.
 */
import { readdirSync, realpathSync } from 'node:fs';
import { join } from 'node:path';

import test from 'ava';

import { importedSymbols } from './helpers/elf';

/** The Node-API functions that hand V8 memory it did not allocate. */
const EXTERNAL = ['napi_create_external_buffer', 'napi_create_external_arraybuffer'];

const dist = join(__dirname, '..', 'dist');
const binaries = readdirSync(dist)
  .filter((f) => /^netns\..*\.node$/.test(f))
  .map((f) => realpathSync(join(dist, f)));

test('the built binding imports no Node-API function that creates an external buffer', (t) => {
  t.true(binaries.length > 0, `no netns.*.node in ${dist}: run npm run build`);
  for (const file of binaries) {
    const napi = importedSymbols(file).filter((s) => s.startsWith('napi_'));
    // The reader sees the binding's Node-API imports at all (a check that cannot fail is none).
    t.true(napi.includes('napi_create_string_utf8'), `${file} imports ${napi.join(', ')}`);
    t.deepEqual(napi.filter((s) => EXTERNAL.includes(s)), [], file);
  }
});
