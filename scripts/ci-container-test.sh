#!/bin/sh
# Runs inside a privileged node:20 (glibc) or node:20-alpine (musl) container in the release
# workflow, on a checkout whose dist/ already holds the compiled facade and ONE prebuilt binary
# (downloaded from the build job, not built here: the container has no Rust). Installs the
# system tools the tests use, the npm packages, then runs the install proof and the test suite.
set -eu
cd "$(dirname "$0")/.."

if command -v apk >/dev/null 2>&1; then
  apk add --no-cache bash iproute2 setpriv strace util-linux >/dev/null
elif command -v apt-get >/dev/null 2>&1; then
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq iproute2 util-linux strace >/dev/null
fi

echo "== $(node -p 'process.platform + "-" + process.arch') node $(node --version), $(ls dist/netns.*.node)"
node -e "const r = process.report.getReport(); console.log('libc:', r.header.glibcVersionRuntime ? 'glibc ' + r.header.glibcVersionRuntime : 'musl')"
npm ci --no-audit --no-fund

# The prebuilt binary, installed from tarballs like a user would, without Rust or a registry.
NETNS_PROOF_NO_BUILD=1 bash scripts/install-proof.sh
# The test suite against the same binary (the facade loads dist/netns.<target>.node).
npx ava
# The lifecycle specs again with / shared, private and slave.
bash scripts/test-propagation.sh
