#!/usr/bin/env bash
# Runs one doc example as the convention promises, and checks that it removed what it made.
# Started by scripts/docs/examples.mjs as
#   unshare --mount --net --pid --fork --mount-proc --propagation private bash sandbox.sh SCRATCH NODE ARGS...
# so everything below is private to this run: its mounts (a tmpfs on /run/netns, /etc behind an
# overlay whose upper layer is in SCRATCH, a tmpfs on /etc/netns), its network namespace (loopback
# up), its /tmp (a tmpfs), and its processes (all killed when this script, their pid 1, ends). The example finds the
# named namespaces `blue` and `red` (made by `ip netns add`, loopback up) and nothing else.
set -euo pipefail
scratch=$1
shift

# /run/netns: a tmpfs of its own (on /run itself where the host has no /run/netns, so that no
# directory is made on the host).
if [ -d /run/netns ]; then mount -t tmpfs netns-doc /run/netns; else mount -t tmpfs netns-doc /run && mkdir /run/netns; fi
# /tmp: a tmpfs of its own (the example's file is not there: it is in the repository's
# node_modules/.cache). A repository that is itself under /tmp (a CI clone) stays where it is: it is
# bound on a holding place in this run's /run/netns first, and from there back on its own path.
repo=$(cd "$(dirname "$0")/../.." && pwd -P)
case "$repo/" in
  /tmp/*)
    mkdir /run/netns/.repo
    mount --bind "$repo" /run/netns/.repo
    mount -t tmpfs netns-doc /tmp
    mkdir -p "$repo"
    mount --bind /run/netns/.repo "$repo"
    umount /run/netns/.repo
    rmdir /run/netns/.repo
    ;;
  *) mount -t tmpfs netns-doc /tmp ;;
esac
# /etc: writes go to an overlay layer in SCRATCH; /etc/netns is an empty tmpfs.
mkdir -p "$scratch/upper" "$scratch/work"
mount -t overlay netns-doc -o "lowerdir=/etc,upperdir=$scratch/upper,workdir=$scratch/work" /etc
mkdir -p /etc/netns
mount -t tmpfs netns-doc /etc/netns

ip link set lo up
for n in blue red; do
  ip netns add "$n"
  ip -n "$n" link set lo up
done

set +e
timeout -k 2 20 "$@"
rc=$?
set -e
if [ "$rc" = 124 ] || [ "$rc" = 137 ]; then
  echo "doc-example: did not exit within 20 s" >&2
  exit 124
fi
[ "$rc" = 0 ] || exit "$rc"

# What the example made must be gone: named namespaces, files under /etc/netns, links.
left=()
names=$(ls -A /run/netns | sort | tr '\n' ' ')
[ "$names" = "blue red " ] || left+=("/run/netns holds: $names(expected: blue red)")
etc=$(ls -A /etc/netns | tr '\n' ' ')
[ -z "$etc" ] || left+=("/etc/netns holds: $etc")
for n in blue red; do
  if [ -e "/run/netns/$n" ]; then
    links=$(ip -n "$n" -o link show | awk -F': ' '{ print $2 }' | tr '\n' ' ')
    [ "$links" = "lo " ] || left+=("namespace $n has links: $links")
  fi
done
links=$(ip -o link show | awk -F': ' '{ print $2 }' | tr '\n' ' ')
[ "$links" = "lo " ] || left+=("the example's own namespace has links: $links")
if [ ${#left[@]} -gt 0 ]; then
  printf 'doc-example: left behind: %s\n' "${left[@]}" >&2
  exit 3
fi
