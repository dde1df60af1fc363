import test from 'ava';
import { spawnSync } from 'node:child_process';
import { readdirSync } from 'node:fs';
import { join } from 'node:path';

import { NetNSError, NetNSUnsupportedPlatformError, isSupported } from '../dist';
import './helpers/kernel';

const fixture = join(__dirname, 'fixtures', 'platform-report.js');
const dist = join(__dirname, '..', 'dist');

interface Attempt {
  threw: boolean;
  code?: string;
  name?: string;
  isUnsupported?: boolean;
  isNetNSError?: boolean;
  platform?: string;
  hasCause?: boolean;
  causeIsError?: boolean;
  causeCauseIsError?: boolean;
}
interface Report {
  platform: string;
  isSupported: boolean;
  esmIsSupported: boolean;
  esmSameInstance: boolean;
  getCurrentNS: Attempt;
  getNS: Attempt;
  gettid: Attempt;
  setns: Attempt;
}

/** Runs the fixture in a child with `platform` pretended ('-': the real one) and extra env. */
function report(platform: string, env: NodeJS.ProcessEnv = {}): Report {
  const childEnv = { ...process.env, ...env };
  if (!('NAPI_RS_NATIVE_LIBRARY_PATH' in env)) delete childEnv.NAPI_RS_NATIVE_LIBRARY_PATH;
  const r = spawnSync(process.execPath, [fixture, platform], { encoding: 'utf8', env: childEnv });
  if (r.status !== 0 || r.stderr !== '') throw new Error(`fixture exited ${r.status}: ${r.stderr}`);
  return JSON.parse(r.stdout) as Report;
}

/** The prebuilt binary `npm run build` put next to the facade, e.g. dist/netns.linux-x64-gnu.node. */
function builtBinary(): string {
  const found = readdirSync(dist).filter((f) => /^netns\.linux-.*\.node$/.test(f));
  if (found.length !== 1) throw new Error(`expected one built binary in dist/, found ${found.join(', ') || 'none'}`);
  return join(dist, found[0]);
}

test('on Linux with its binary, isSupported() is true and calls reach the kernel', (t) => {
  t.true(isSupported());
  const r = report('-');
  t.true(r.isSupported);
  t.true(r.esmIsSupported);
  t.false(r.getCurrentNS.threw);
  t.false(r.getNS.threw);
  t.false(r.gettid.threw);
});

test('NetNSUnsupportedPlatformError is an exported NetNSError with its own code', (t) => {
  const e = new NetNSUnsupportedPlatformError('darwin-arm64', 'x');
  t.true(e instanceof NetNSError);
  t.is(e.code, 'ERR_NETNS_UNSUPPORTED_PLATFORM');
  t.is(e.platform, 'darwin-arm64');
  t.is(e.name, 'NetNSUnsupportedPlatformError');
});

for (const platform of ['darwin', 'win32']) {
  test(`on ${platform} the package imports (CommonJS and ESM), isSupported() is false and every call throws ERR_NETNS_UNSUPPORTED_PLATFORM`, (t) => {
    const r = report(platform);
    t.is(r.platform, platform);
    t.false(r.isSupported);
    t.false(r.esmIsSupported);
    t.true(r.esmSameInstance);
    for (const call of [r.getCurrentNS, r.getNS, r.gettid, r.setns]) {
      t.true(call.threw);
      t.is(call.code, 'ERR_NETNS_UNSUPPORTED_PLATFORM');
      t.true(call.isUnsupported);
      t.true(call.isNetNSError);
      t.is(call.name, 'NetNSUnsupportedPlatformError');
      t.is(call.platform, `${platform}-${process.arch}`);
      // Nothing was loaded, so nothing failed to load.
      t.false(call.hasCause);
    }
  });
}

test('when the native binary cannot be loaded, calls throw ERR_NETNS_UNSUPPORTED_PLATFORM with the loader error as cause', (t) => {
  const r = report('-', { NAPI_RS_NATIVE_LIBRARY_PATH: join(dist, 'no-such-binary.node') });
  t.false(r.isSupported);
  for (const call of [r.getCurrentNS, r.getNS, r.gettid]) {
    t.true(call.threw);
    t.is(call.code, 'ERR_NETNS_UNSUPPORTED_PLATFORM');
    t.true(call.isUnsupported);
    t.regex(call.platform ?? '', new RegExp(`^linux-${process.arch}-(gnu|gnueabihf|musl)$`));
    // The napi loader's error, whose cause chain holds require()'s failure for the missing file.
    t.true(call.causeIsError);
    t.true(call.causeCauseIsError);
  }
});

test('the loader honours NAPI_RS_NATIVE_LIBRARY_PATH, so a real binary there loads (the missing-file case above is not vacuous)', (t) => {
  const r = report('-', { NAPI_RS_NATIVE_LIBRARY_PATH: builtBinary() });
  t.true(r.isSupported);
  t.false(r.getCurrentNS.threw);
});
