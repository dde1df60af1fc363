"""Times the pyroute2 peers of netns in a loop, for `npm run bench`.

Usage: python pyroute2_peer.py <op> <namespace path or name prefix> <iterations>; prints one
line of JSON with the mean nanoseconds per operation of that batch (the bench takes the median
of its rounds). Ops:

  pushpop      netns.pushns(path); netns.popns()
  push-socket  netns.pushns(path); socket.socket(AF_INET, SOCK_STREAM); netns.popns(); close
  socket       netns.create_socket(path) (pyroute2's own way: a child process) and close
  named        netns.create(name); netns.remove(name)
"""
import json
import socket
import sys
import time

from pyroute2 import netns


def pushpop(path, n):
    for _ in range(n):
        netns.pushns(path)
        netns.popns()


def push_socket(path, n):
    for _ in range(n):
        netns.pushns(path)
        s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        netns.popns()
        s.close()


def create_socket(path, n):
    for _ in range(n):
        netns.create_socket(path).close()


def named(prefix, n):
    for i in range(n):
        name = f"{prefix}{i}"
        netns.create(name)
        netns.remove(name)


OPS = {"pushpop": pushpop, "push-socket": push_socket, "socket": create_socket, "named": named}


def main():
    if len(sys.argv) != 4 or sys.argv[1] not in OPS:
        sys.exit(f"usage: pyroute2_peer.py <{'|'.join(OPS)}> <path or prefix> <iterations>")
    op, arg, n = sys.argv[1], sys.argv[2], int(sys.argv[3])
    start = time.perf_counter_ns()
    OPS[op](arg, n)
    elapsed = time.perf_counter_ns() - start
    print(json.dumps({"op": op, "iterations": n, "nsPerOp": elapsed / n}))


if __name__ == "__main__":
    main()
