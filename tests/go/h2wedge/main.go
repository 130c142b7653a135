// h2wedge reproduces the incident behind golang/go#28824 on loopback: an HTTPS (HTTP/2) client whose
// requests to one server hang for ever once that server stops reading (SIGSTOP), and checks that
// unwedge's cgroup layer (TCP_USER_TIMEOUT set by a sock_ops BPF program) ends them.
//
//	h2wedge gencert -dir D                  a self-signed certificate for 127.0.0.1, in D
//	h2wedge server -dir D -portfile F       an HTTPS server (HTTP/2) on 127.0.0.1
//	h2wedge client -dir D -a PORT -b PORT   requests in a loop to both, one JSON line per event
//
// Standard library only: the test must build without reaching any network.
package main

import (
	"fmt"
	"os"
)

func main() {
	if len(os.Args) < 2 {
		fmt.Fprintln(os.Stderr, "usage: h2wedge gencert|server|client [flags]")
		os.Exit(2)
	}
	var err error
	switch os.Args[1] {
	case "gencert":
		err = gencert(os.Args[2:])
	case "server":
		err = server(os.Args[2:])
	case "client":
		err = client(os.Args[2:])
	default:
		err = fmt.Errorf("unknown command %q", os.Args[1])
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "h2wedge:", err)
		os.Exit(1)
	}
}
