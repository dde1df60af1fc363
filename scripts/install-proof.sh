#!/usr/bin/env bash
# Install like a user (`npm run proof:install`): pack the root package (with the exact-version
# optionalDependencies the published one has) and this machine's per-platform package, install
# both tarballs into an empty project with no registry and no Rust toolchain on the PATH, then
# check there that require() and import work, that a TypeScript consumer type-checks against the
# shipped declarations, and that a smoke test really enters a namespace. Also checks what the
# tarballs contain, and that the root package alone (no binary) imports and reports why it cannot
# work. Cleans up its temp folder and namespace on any exit; exits non-zero on any failed check.
#
# Needs root (ip netns add, setns). Set NETNS_PROOF_NO_BUILD=1 to skip `npm run build`.
set -euo pipefail

repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
say() { printf 'proof: %s\n' "$*"; }
fail() { printf 'proof: FAIL: %s\n' "$*" >&2; exit 1; }

[ "$(id -u)" = 0 ] || fail "needs root: it creates a network namespace and enters it"
command -v ip >/dev/null 2>&1 || fail "needs ip(8) (iproute2)"

tmp="$(mktemp -d "${TMPDIR:-/tmp}/netns-proof.XXXXXX")"
ns="nsprf$$"
ns="${ns:0:15}"
ns_made=0
manifest_copy="$tmp/package.json.orig"
cp "$repo/package.json" "$manifest_copy"

cleanup() {
  local rc=$?
  trap - EXIT INT TERM HUP
  if [ "$ns_made" = 1 ]; then ip netns del "$ns" 2>/dev/null || true; fi
  # optional-deps.mjs restores package.json itself; this is the last line of defence.
  if ! cmp -s "$manifest_copy" "$repo/package.json"; then
    cp "$manifest_copy" "$repo/package.json"
    echo "proof: package.json was left modified; restored it" >&2
    rc=1
  fi
  rm -rf "$tmp"
  if [ "$rc" = 0 ]; then say "all checks passed"; else echo "proof: FAILED (exit $rc)" >&2; fi
  exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM
trap 'exit 129' HUP

# ---------------------------------------------------------------------------------------------
say "build"
if [ "${NETNS_PROOF_NO_BUILD:-0}" != 1 ]; then
  (cd "$repo" && npm run build --silent >"$tmp/build.log" 2>&1) || { cat "$tmp/build.log" >&2; fail "npm run build"; }
fi

shopt -s nullglob
binaries=("$repo"/dist/netns.linux-*.node)
shopt -u nullglob
[ "${#binaries[@]}" = 1 ] || fail "expected exactly one built binary dist/netns.linux-*.node, found ${#binaries[@]}"
binary="${binaries[0]}"
target="$(basename "$binary" .node)"
target="${target#netns.}"                      # e.g. linux-x64-gnu
[ -f "$repo/npm/$target/package.json" ] || fail "no per-platform package npm/$target for the built binary"
say "this machine's target: $target"

# ---------------------------------------------------------------------------------------------
say "pack"
mkdir -p "$tmp/tarballs" "$tmp/stage"
cp -r "$repo/npm/$target" "$tmp/stage/$target"
cp "$binary" "$tmp/stage/$target/"
(cd "$tmp/stage/$target" && npm pack --json --pack-destination "$tmp/tarballs" >"$tmp/platform-pack.json") \
  || fail "npm pack of npm/$target"
(cd "$repo" && node scripts/optional-deps.mjs with npm pack --json --pack-destination "$tmp/tarballs" >"$tmp/root-pack.json") \
  || fail "npm pack of the root package"
cmp -s "$manifest_copy" "$repo/package.json" || fail "packing left package.json modified"
node "$repo/scripts/optional-deps.mjs" print >"$tmp/expected-optional-deps.json"

version="$(node -p "require('$repo/package.json').version")"
root_tgz="$tmp/tarballs/netns-$version.tgz"
platform_tgz="$tmp/tarballs/netns-$target-$version.tgz"
[ -f "$root_tgz" ] && [ -f "$platform_tgz" ] || fail "tarballs not where npm pack said: $(ls "$tmp/tarballs")"

# ---------------------------------------------------------------------------------------------
say "tarball contents"
tar tzf "$root_tgz" >"$tmp/root-files.txt"
tar tzf "$platform_tgz" >"$tmp/platform-files.txt"
mkdir -p "$tmp/unpacked/root" "$tmp/unpacked/platform"
tar xzf "$root_tgz" -C "$tmp/unpacked/root"
tar xzf "$platform_tgz" -C "$tmp/unpacked/platform"
node - "$tmp" "$target" "$version" <<'EOF' || fail "tarball contents"
const fs = require('node:fs');
const path = require('node:path');
const [tmp, target, version] = process.argv.slice(2);
const problems = [];
const list = (f) => fs.readFileSync(path.join(tmp, f), 'utf8').split('\n').filter(Boolean);

// Root: the compiled facade and its declarations, the generated loader, package.json, README/LICENSE.
const root = list('root-files.txt');
const allowed = /^package\/(package\.json|README\.md|LICENSE(\.md|\.txt)?|dist\/[\w./-]+\.(js|mjs|d\.ts|d\.mts))$/;
const forbidden = /(\.rs$|Cargo\.(toml|lock)$|\.node$|(^|\/)(__test__|test|tests|crates|target|npm|scripts|src|examples|bench)\/|\.map$|\.tsbuildinfo$)/;
for (const f of root) {
  if (!allowed.test(f)) problems.push(`root tarball has an unexpected file: ${f}`);
  if (forbidden.test(f.replace(/^package\//, ''))) problems.push(`root tarball has a file it must not: ${f}`);
  if (/\.ts$/.test(f) && !/\.d\.ts$/.test(f)) problems.push(`root tarball has a TypeScript source: ${f}`);
}
for (const f of ['package.json', 'dist/index.js', 'dist/index.mjs', 'dist/index.d.ts', 'dist/index.d.mts', 'dist/binding.js', 'dist/binding.d.ts', 'dist/lib/native.js', 'dist/lib/native.d.ts']) {
  if (!root.includes(`package/${f}`)) problems.push(`root tarball lacks ${f}`);
}
const pkg = JSON.parse(fs.readFileSync(path.join(tmp, 'unpacked/root/package/package.json'), 'utf8'));
const expected = JSON.parse(fs.readFileSync(path.join(tmp, 'expected-optional-deps.json'), 'utf8'));
const names = ['linux-x64-gnu', 'linux-x64-musl', 'linux-arm64-gnu', 'linux-arm64-musl', 'linux-arm-gnueabihf'].map((t) => `netns-${t}`).sort();
if (JSON.stringify(Object.keys(expected).sort()) !== JSON.stringify(names)) problems.push(`npm/ holds ${Object.keys(expected)}, expected ${names}`);
if (JSON.stringify(pkg.optionalDependencies) !== JSON.stringify(expected)) problems.push(`packed optionalDependencies ${JSON.stringify(pkg.optionalDependencies)}, expected ${JSON.stringify(expected)}`);
for (const v of Object.values(pkg.optionalDependencies ?? {})) if (v !== version) problems.push(`optional dependency version ${v} is not exactly ${version}`);
// One runtime dependency, undici (for ns.dispatcher(), loaded on its first call), as the repository declares it.
if (JSON.stringify(Object.keys(pkg.dependencies ?? {})) !== '["undici"]') problems.push(`root package's runtime dependencies are ${Object.keys(pkg.dependencies ?? {})}, expected only undici`);
for (const s of ['preinstall', 'install', 'postinstall', 'prepare']) if (pkg.scripts?.[s]) problems.push(`root package has a ${s} script (installs must not build)`);
if (pkg.os) problems.push(`root package restricts os to ${pkg.os}: macOS/Windows Electron builds could not install it`);
const dot = pkg.exports?.['.'];
const want = { import: { types: './dist/index.d.mts', default: './dist/index.mjs' }, require: { types: './dist/index.d.ts', default: './dist/index.js' } };
if (JSON.stringify(dot) !== JSON.stringify(want)) problems.push(`exports["."] is ${JSON.stringify(dot)}`);
if (!pkg.engines?.node) problems.push('root package has no engines.node');

// Platform: exactly the binary, package.json and README, with os/cpu/libc that fit the target.
const plat = list('platform-files.txt').sort();
const wantPlat = ['package/README.md', `package/netns.${target}.node`, 'package/package.json'].sort();
if (JSON.stringify(plat) !== JSON.stringify(wantPlat)) problems.push(`platform tarball has ${plat}, expected ${wantPlat}`);
const ppkg = JSON.parse(fs.readFileSync(path.join(tmp, 'unpacked/platform/package/package.json'), 'utf8'));
const [, arch, abi] = target.split('-');
const libc = abi.startsWith('gnu') ? 'glibc' : 'musl';
if (ppkg.name !== `netns-${target}` || ppkg.version !== version) problems.push(`platform package is ${ppkg.name}@${ppkg.version}`);
if (JSON.stringify([ppkg.os, ppkg.cpu, ppkg.libc]) !== JSON.stringify([['linux'], [arch], [libc]])) problems.push(`platform package os/cpu/libc ${JSON.stringify([ppkg.os, ppkg.cpu, ppkg.libc])}`);
if (ppkg.main !== `netns.${target}.node`) problems.push(`platform package main is ${ppkg.main}`);
if (problems.length) {
  console.error(problems.join('\n'));
  process.exit(1);
}
EOF
root_size="$(stat -c %s "$root_tgz")"
platform_size="$(stat -c %s "$platform_tgz")"
root_unpacked="$(node -p "require('$tmp/root-pack.json')[0].unpackedSize")"
platform_unpacked="$(node -p "require('$tmp/platform-pack.json')[0].unpackedSize")"
say "ok: root tarball $(basename "$root_tgz"): $root_size bytes ($(wc -l <"$tmp/root-files.txt") files, $root_unpacked bytes unpacked)"
say "ok: platform tarball $(basename "$platform_tgz"): $platform_size bytes ($(wc -l <"$tmp/platform-files.txt") files, $platform_unpacked bytes unpacked)"

# ---------------------------------------------------------------------------------------------
say "an environment without Rust and without a registry"
clean_path=""
IFS=: read -r -a path_dirs <<<"$PATH"
for d in "${path_dirs[@]}"; do
  [ -n "$d" ] && [ -d "$d" ] || continue
  # No Rust, and none of the repository's tools (npm run puts node_modules/.bin first).
  case "$d" in *cargo* | *rustup* | */node_modules/* | "$repo" | "$repo"/*) continue ;; esac
  if [ -e "$d/cargo" ] || [ -e "$d/rustc" ] || [ -e "$d/rustup" ]; then continue; fi
  case ":$clean_path:" in *":$d:"*) continue ;; esac
  clean_path="${clean_path:+$clean_path:}$d"
done
mkdir -p "$tmp/home" "$tmp/npm-cache" "$tmp/app"
: >"$tmp/empty-npmrc"
# A bare environment: no inherited npm_config_*, CARGO_HOME, RUSTUP_HOME, NODE_OPTIONS or ~/.npmrc.
clean() {
  env -i HOME="$tmp/home" PATH="$clean_path" TMPDIR="$tmp" LANG=C.UTF-8 \
    npm_config_globalconfig="$tmp/empty-npmrc" npm_config_update_notifier=false "$@"
}
if clean sh -c 'command -v cargo' >/dev/null 2>&1; then fail "cargo is still on the clean PATH"; fi
if clean sh -c 'command -v rustc' >/dev/null 2>&1; then fail "rustc is still on the clean PATH"; fi
clean sh -c 'command -v node && command -v npm' >/dev/null || fail "node or npm is not on the clean PATH ($clean_path)"
say "ok: no cargo or rustc on PATH=$clean_path"

# npm: --offline with an empty cache, and a registry nobody listens on, so any registry access fails.
npm_offline=(--offline --cache "$tmp/npm-cache" --registry http://127.0.0.1:9/ --fetch-retries 0 --no-audit --no-fund --loglevel warn)

# ---------------------------------------------------------------------------------------------
say "install both tarballs in one command, offline"
printf '{ "name": "proof-app", "version": "1.0.0", "private": true }\n' >"$tmp/app/package.json"
# The package's runtime dependencies (undici), packed from node_modules: they stand in for the registry.
node "$repo/scripts/pack-dependencies.mjs" "$tmp/tarballs" >"$tmp/dep-tarballs.txt" || fail "packing the dependencies"
mapfile -t dep_tgzs <"$tmp/dep-tarballs.txt"
(cd "$tmp/app" && clean npm install "${npm_offline[@]}" "$root_tgz" "$platform_tgz" "${dep_tgzs[@]}") || fail "offline npm install of the two tarballs"
node - "$tmp/app" "$target" <<'EOF' || fail "installed tree"
const fs = require('node:fs');
const path = require('node:path');
const [app, target] = process.argv.slice(2);
const problems = [];
const mods = fs.readdirSync(path.join(app, 'node_modules')).filter((d) => !d.startsWith('.')).sort();
if (JSON.stringify(mods) !== JSON.stringify(['netns', `netns-${target}`, 'undici'].sort())) problems.push(`node_modules holds ${mods}`);
const lock = JSON.parse(fs.readFileSync(path.join(app, 'package-lock.json'), 'utf8'));
const entry = lock.packages[`node_modules/netns-${target}`];
if (!entry || !String(entry.resolved).startsWith('file:')) problems.push(`netns-${target} was not installed from its tarball: ${JSON.stringify(entry)}`);
const opt = lock.packages['node_modules/netns']?.optionalDependencies ?? {};
if (!(`netns-${target}` in opt)) problems.push(`the installed netns does not declare netns-${target} optional: ${JSON.stringify(opt)}`);
const walk = (d) => fs.readdirSync(d, { withFileTypes: true }).flatMap((e) => (e.isDirectory() ? walk(path.join(d, e.name)) : [path.join(d, e.name)]));
for (const f of walk(path.join(app, 'node_modules'))) {
  if (/(\.rs|Cargo\.toml|Cargo\.lock)$/.test(f) || /\/target\//.test(f)) problems.push(`installed tree has ${f}`);
}
if (problems.length) {
  console.error(problems.join('\n'));
  process.exit(1);
}
EOF
say "ok: installed netns and netns-$target from the tarballs, nothing else"

# ---------------------------------------------------------------------------------------------
say "require('netns')"
cat >"$tmp/app/check.cjs" <<'EOF'
const assert = require('node:assert/strict');
const path = require('node:path');
const netns = require('netns');
const target = process.argv[2];
assert.equal(require.resolve('netns'), path.join(__dirname, 'node_modules/netns/dist/index.js'));
assert.equal(netns.isSupported(), true);
for (const f of ['getNS', 'getCurrentNS', 'isSupported', 'NetNS', 'NetNSUnsupportedPlatformError']) assert.equal(typeof netns[f], 'function', f);
// The binary came from the per-platform package, not from anywhere else.
const addons = Object.keys(require.cache).filter((f) => f.endsWith('.node')).map((f) => path.relative(__dirname, f));
assert.deepEqual(addons, [`node_modules/netns-${target}/netns.${target}.node`]);
const ns = netns.getCurrentNS();
assert.equal(typeof ns.inode, 'number');
ns.close();
EOF
(cd "$tmp/app" && clean node check.cjs "$target") || fail "require('netns')"
say "ok: require('netns') loads node_modules/netns-$target"

# ---------------------------------------------------------------------------------------------
ip netns add "$ns"
ns_made=1
say "import { getNS } from 'netns', and enter namespace $ns"
cat >"$tmp/app/smoke.mjs" <<'EOF'
import assert from 'node:assert/strict';
import { statSync } from 'node:fs';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import { getNS, isSupported } from 'netns';
import netnsDefault from 'netns';

assert.ok(fileURLToPath(import.meta.resolve('netns')).endsWith('/node_modules/netns/dist/index.mjs'));
assert.equal(isSupported(), true);
// One instance: the ES module face re-exports the CommonJS build.
assert.equal(getNS, createRequire(import.meta.url)('netns').getNS);
assert.equal(netnsDefault.getNS, getNS);

const nsPath = `/run/netns/${process.argv[2]}`;
const self = () => statSync('/proc/thread-self/ns/net').ino;
const want = statSync(nsPath).ino;
const before = self();
assert.notEqual(want, before, 'the new namespace must differ from ours');
const ns = getNS(nsPath);
assert.equal(ns.inode, want);
let inside;
const result = ns.do(() => {
  inside = self();
  return 42;
});
assert.equal(result, 42);
assert.equal(inside, want, 'inside do() the thread is in the namespace');
assert.equal(self(), before, 'after do() the thread is back');
ns.close();
EOF
(cd "$tmp/app" && clean node smoke.mjs "$ns") || fail "ESM import and smoke test"
say "ok: import works; inside do() /proc/thread-self/ns/net is $ns's inode, and the thread came back"

# ---------------------------------------------------------------------------------------------
say "a TypeScript consumer type-checks against the shipped declarations"
tsc="$repo/node_modules/typescript/bin/tsc"
[ -f "$tsc" ] || fail "no typescript in $repo/node_modules (npm ci first)"
[ -d "$repo/node_modules/@types/node" ] || fail "no @types/node in $repo/node_modules (npm ci first)"
mkdir -p "$tmp/app/ts"
cat >"$tmp/app/ts/consumer.mts" <<'EOF'
import netns, { getNS, isSupported, NetNS, NetNSError, NetNSUnsupportedPlatformError, type SocketTarget } from 'netns';

const supported: boolean = isSupported();
if (supported) {
  const ns: NetNS = getNS('/run/netns/blue');
  const inode: number = ns.inode;
  const n: number = ns.do(() => inode + 1);
  ns.close();
  void n;
}
const e: NetNSError = new NetNSUnsupportedPlatformError('darwin-arm64', 'not Linux');
const platform: string = (e as NetNSUnsupportedPlatformError).platform;
const sameFn: typeof getNS = netns.getNS;
let target: SocketTarget | undefined;
void [platform, sameFn, target];
// The declarations are real, not `any`: these must be errors.
// @ts-expect-error a namespace path is a string
getNS(42);
// @ts-expect-error no such export
netns.noSuchFunction();
EOF
cat >"$tmp/app/ts/consumer.cts" <<'EOF'
import netns = require('netns');

const supported: boolean = netns.isSupported();
const ns: netns.NetNS | undefined = supported ? netns.getCurrentNS() : undefined;
ns?.close();
// @ts-expect-error a namespace path is a string
netns.getNS(42);
EOF
cat >"$tmp/app/ts/tsconfig.json" <<EOF
{
  "compilerOptions": {
    "module": "node16",
    "moduleResolution": "node16",
    "target": "ES2022",
    "strict": true,
    "noEmit": true,
    "skipLibCheck": false,
    "typeRoots": ["$repo/node_modules/@types"],
    "types": ["node"]
  },
  "files": ["consumer.mts", "consumer.cts"]
}
EOF
(cd "$tmp/app/ts" && clean node "$tsc" -p tsconfig.json --explainFiles >"$tmp/tsc.log" 2>&1) || { cat "$tmp/tsc.log" >&2; fail "the TypeScript consumer does not type-check"; }
# Which declarations each consumer got, as tsc explains it.
grep -qF "Imported via 'netns' from file 'consumer.mts' with packageId 'netns/dist/index.d.mts@" "$tmp/tsc.log" \
  || { cat "$tmp/tsc.log" >&2; fail "the ESM consumer did not get dist/index.d.mts"; }
grep -qF "Imported via 'netns' from file 'consumer.cts' with packageId 'netns/dist/index.d.ts@" "$tmp/tsc.log" \
  || { cat "$tmp/tsc.log" >&2; fail "the CommonJS consumer did not get dist/index.d.ts"; }
say "ok: .mts (import condition: index.d.mts) and .cts (require condition: index.d.ts) consumers type-check"

# ---------------------------------------------------------------------------------------------
say "the root package alone (no binary that fits) imports and says why it cannot work"
mkdir -p "$tmp/bare"
printf '{ "name": "proof-bare", "version": "1.0.0", "private": true }\n' >"$tmp/bare/package.json"
(cd "$tmp/bare" && clean npm install "${npm_offline[@]}" "$root_tgz" "${dep_tgzs[@]}") || fail "offline npm install of the root tarball alone"
cat >"$tmp/bare/check.cjs" <<'EOF'
const assert = require('node:assert/strict');
const netns = require('netns');
assert.equal(netns.isSupported(), false);
assert.throws(() => netns.getCurrentNS(), (e) => {
  assert.ok(e instanceof netns.NetNSUnsupportedPlatformError);
  assert.equal(e.code, 'ERR_NETNS_UNSUPPORTED_PLATFORM');
  assert.equal(e.platform, process.argv[2]);
  assert.ok(e.cause instanceof Error, 'the loader error is kept as cause');
  return true;
});
EOF
(cd "$tmp/bare" && clean node check.cjs "$target") || fail "root package without a binary"
say "ok: without netns-$target, isSupported() is false and calls throw ERR_NETNS_UNSUPPORTED_PLATFORM ($target)"
