#!/usr/bin/env bash
# The one build route for every target (design fact 15c), installed into CACHE (default
# ~/.cache/netns-matrix) once: zig from PyPI (`ziglang`, in a virtualenv) with a `zig` wrapper in
# CACHE/bin, and cargo-zigbuild from crates.io in CACHE/cargo/bin. Prints the two directories to
# put first on PATH (`PATH="$(bash scripts/matrix/zig.sh):$PATH"`), then
# `napi build --release --target T -x` builds any target. The release workflow uses it too.
set -euo pipefail

cache="${1:-${NETNS_MATRIX_CACHE:-$HOME/.cache/netns-matrix}}"
ZIG_VERSION=0.15.2
fail() { printf 'zig.sh: FAIL: %s\n' "$*" >&2; exit 1; }
mkdir -p "$cache/bin"

if ! "$cache/zig-venv/bin/python" -m ziglang version 2>/dev/null | grep -qx "$ZIG_VERSION"; then
  echo "zig.sh: zig $ZIG_VERSION (PyPI ziglang) in $cache/zig-venv" >&2
  rm -rf "$cache/zig-venv"
  python3 -m venv "$cache/zig-venv" || fail "python3 -m venv (Debian: python3-venv)"
  "$cache/zig-venv/bin/pip" install -q "ziglang==$ZIG_VERSION" >&2 || fail "pip install ziglang==$ZIG_VERSION"
fi
printf '#!/bin/sh\nexec "%s" -m ziglang "$@"\n' "$cache/zig-venv/bin/python" >"$cache/bin/zig"
chmod +x "$cache/bin/zig"
"$cache/bin/zig" version | grep -qx "$ZIG_VERSION" || fail "zig $ZIG_VERSION does not run"

if [ ! -x "$cache/cargo/bin/cargo-zigbuild" ]; then
  echo "zig.sh: cargo install --locked cargo-zigbuild (about 2 min)" >&2
  nice cargo install -q --locked --root "$cache/cargo" cargo-zigbuild >&2 || fail "cargo install cargo-zigbuild"
fi
echo "$cache/bin:$cache/cargo/bin"
