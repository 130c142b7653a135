// gowriter: a Go program for the rescue tests, started without any preload
// (none could reach it): it connects and writes 1 MiB chunks with
// net.Conn.Write until a write fails, then prints one JSON line with the
// error and its errno, as its own error handling. Go keeps the socket
// non-blocking and parks the goroutine in its poller, so the kernel side is
// the same wedged connection as a C writer's.
//
//	gowriter HOST:PORT
package main

import (
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"os"
	"syscall"
)

var names = map[syscall.Errno]string{
	syscall.ECONNABORTED: "ECONNABORTED",
	syscall.ETIMEDOUT:    "ETIMEDOUT",
	syscall.EPIPE:        "EPIPE",
	syscall.ECONNRESET:   "ECONNRESET",
}

func main() {
	conn, err := net.Dial("tcp", os.Args[1])
	if err != nil {
		fmt.Fprintln(os.Stderr, "gowriter:", err)
		os.Exit(2)
	}
	chunk := make([]byte, 1<<20)
	sent := 0
	for {
		n, err := conn.Write(chunk)
		sent += n
		if err == nil {
			continue
		}
		name := "other"
		var errno syscall.Errno
		if errors.As(err, &errno) {
			if v, ok := names[errno]; ok {
				name = v
			}
		}
		out, _ := json.Marshal(map[string]interface{}{"errno": name, "error": err.Error(), "sent": sent})
		fmt.Println(string(out))
		return
	}
}
