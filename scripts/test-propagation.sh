#!/usr/bin/env bash
# Runs the lifecycle specs once per propagation type of `/` (shared, as systemd makes it;
# private; slave), each in mount namespaces of their own (unshare -m), so the host's mounts are
# never changed. /run/netns gets a tmpfs of its own there, so namespace files made inside never
# appear, unmounted, in the host's /run/netns. Extra arguments go to ava.
set -uo pipefail
cd "$(dirname "$0")/.."

mkdir -p /run/netns
# What this script must not change: the host's mounts on /run/netns.
host_mounts() { grep -c ' /run/netns ' /proc/self/mountinfo; }
before=$(host_mounts)
specs=(__test__/lifecycle.spec.ts __test__/lifecycle-race.spec.ts __test__/lifecycle-kill.spec.ts)
failed=()
for mode in shared private slave; do
  echo "== lifecycle specs with / as a $mode mount"
  # The outer namespace first cuts every mount off the host's peer groups (--propagation private:
  # the host's /run/netns is shared after any `ip netns add`, and a mount made in a namespace that
  # still shared its peer group would appear in the host's), then makes / shared in peer groups of
  # its own, and stays alive (no exec), so that the inner one's / can be a real slave of it.
  unshare -m --propagation private sh -c '
    mount --make-rshared / && unshare -m --propagation unchanged sh -c "
      mount --make-r\$0 / &&
      echo \"/ is \$(findmnt -no PROPAGATION --mountpoint /)\" &&
      mount -t tmpfs -o mode=755 netns-test /run/netns &&
      exec npx ava \"\$@\"" "$@"' sh "$mode" "${specs[@]}" "$@" || failed+=("$mode")
done
after=$(host_mounts)
if [ "$after" != "$before" ]; then
  echo "the host's /run/netns has $after mounts after the runs, $before before: a mount leaked out" >&2
  failed+=(host-mounts)
fi
if [ ${#failed[@]} -gt 0 ]; then
  echo "lifecycle specs failed with / as: ${failed[*]}" >&2
  exit 1
fi
