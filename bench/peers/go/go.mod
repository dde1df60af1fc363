module netns.local/bench/peers/go

go 1.26.8

require (
	github.com/containernetworking/plugins v1.10.0
	github.com/vishvananda/netns v0.0.5
	golang.org/x/sys v0.50.0
)
