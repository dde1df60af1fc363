// Command netns-peer-go times the Go peers of netns in a loop, for `npm run bench`:
// containernetworking/plugins pkg/ns (ns.Do) and vishvananda/netns (Set, NewNamed/DeleteNamed).
//
// Usage: netns-peer-go <op> <namespace path or name prefix> <iterations>; prints one line of
// JSON with the mean nanoseconds per operation of that batch (the bench takes the median of its
// rounds). Ops:
//
//	cni-do      ns.Do(func(ns.NetNS) error { return nil }) on a namespace opened once
//	cni-socket  ns.Do around socket(AF_INET, SOCK_STREAM|SOCK_CLOEXEC) and close
//	vish-set    origin := netns.Get(); netns.Set(target); netns.Set(origin); origin.Close()
//	vish-named  netns.NewNamed(name), back to the origin, handle closed, netns.DeleteNamed(name)
package main

import (
	"encoding/json"
	"fmt"
	"os"
	"runtime"
	"strconv"
	"time"

	"github.com/containernetworking/plugins/pkg/ns"
	"github.com/vishvananda/netns"
	"golang.org/x/sys/unix"
)

func fail(format string, args ...any) {
	fmt.Fprintf(os.Stderr, "netns-peer-go: "+format+"\n", args...)
	os.Exit(1)
}

func cniDo(path string, n int) func() {
	target, err := ns.GetNS(path)
	if err != nil {
		fail("GetNS %s: %v", path, err)
	}
	noop := func(ns.NetNS) error { return nil }
	return func() {
		for i := 0; i < n; i++ {
			if err := target.Do(noop); err != nil {
				fail("Do: %v", err)
			}
		}
	}
}

func cniSocket(path string, n int) func() {
	target, err := ns.GetNS(path)
	if err != nil {
		fail("GetNS %s: %v", path, err)
	}
	var fd int
	mk := func(ns.NetNS) error {
		var err error
		fd, err = unix.Socket(unix.AF_INET, unix.SOCK_STREAM|unix.SOCK_CLOEXEC, 0)
		return err
	}
	return func() {
		for i := 0; i < n; i++ {
			if err := target.Do(mk); err != nil {
				fail("Do socket: %v", err)
			}
			unix.Close(fd)
		}
	}
}

func vishSet(path string, n int) func() {
	target, err := netns.GetFromPath(path)
	if err != nil {
		fail("GetFromPath %s: %v", path, err)
	}
	return func() {
		runtime.LockOSThread()
		defer runtime.UnlockOSThread()
		for i := 0; i < n; i++ {
			origin, err := netns.Get()
			if err != nil {
				fail("Get: %v", err)
			}
			if err := netns.Set(target); err != nil {
				fail("Set: %v", err)
			}
			if err := netns.Set(origin); err != nil {
				fail("Set back: %v", err)
			}
			origin.Close()
		}
	}
}

func vishNamed(prefix string, n int) func() {
	return func() {
		runtime.LockOSThread()
		defer runtime.UnlockOSThread()
		origin, err := netns.Get()
		if err != nil {
			fail("Get: %v", err)
		}
		defer origin.Close()
		for i := 0; i < n; i++ {
			name := prefix + strconv.Itoa(i)
			h, err := netns.NewNamed(name)
			if err != nil {
				fail("NewNamed %s: %v", name, err)
			}
			h.Close()
			if err := netns.Set(origin); err != nil {
				fail("Set back: %v", err)
			}
			if err := netns.DeleteNamed(name); err != nil {
				fail("DeleteNamed %s: %v", name, err)
			}
		}
	}
}

func main() {
	if len(os.Args) != 4 {
		fail("usage: netns-peer-go <cni-do|cni-socket|vish-set|vish-named> <path or prefix> <iterations>")
	}
	op, arg := os.Args[1], os.Args[2]
	n, err := strconv.Atoi(os.Args[3])
	if err != nil || n < 1 {
		fail("iterations must be a positive integer, got %q", os.Args[3])
	}
	makers := map[string]func(string, int) func(){"cni-do": cniDo, "cni-socket": cniSocket, "vish-set": vishSet, "vish-named": vishNamed}
	make, ok := makers[op]
	if !ok {
		fail("unknown operation %q", op)
	}
	run := make(arg, n)
	start := time.Now()
	run()
	elapsed := time.Since(start)
	out, _ := json.Marshal(map[string]any{"op": op, "iterations": n, "nsPerOp": float64(elapsed.Nanoseconds()) / float64(n)})
	fmt.Println(string(out))
}
