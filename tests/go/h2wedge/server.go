package main

import (
	"context"
	"crypto/tls"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"syscall"
)

// server serves POST /upload (reads the whole body) and GET /ping over HTTPS; net/http speaks
// HTTP/2 on it by itself. A small SO_RCVBUF (inherited by accepted connections) makes the window
// close soon after the process stops reading, as a busy peer's does.
func server(args []string) error {
	fs := flag.NewFlagSet("server", flag.ContinueOnError)
	dir := fs.String("dir", ".", "where cert.pem and key.pem are")
	portfile := fs.String("portfile", "", "write the port here once listening")
	rcvbuf := fs.Int("rcvbuf", 65536, "SO_RCVBUF of the listening socket (0: the kernel's)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	cert, err := tls.LoadX509KeyPair(filepath.Join(*dir, "cert.pem"), filepath.Join(*dir, "key.pem"))
	if err != nil {
		return err
	}
	lc := net.ListenConfig{Control: func(_, _ string, c syscall.RawConn) error {
		return setInt(c, syscall.SOL_SOCKET, syscall.SO_RCVBUF, *rcvbuf)
	}}
	ln, err := lc.Listen(context.Background(), "tcp4", "127.0.0.1:0")
	if err != nil {
		return err
	}
	mux := http.NewServeMux()
	mux.HandleFunc("/upload", func(w http.ResponseWriter, r *http.Request) {
		n, err := io.Copy(io.Discard, r.Body)
		if err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		fmt.Fprintf(w, "%d\n", n)
	})
	mux.HandleFunc("/ping", func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprintln(w, "pong")
	})
	srv := &http.Server{Handler: mux, TLSConfig: &tls.Config{Certificates: []tls.Certificate{cert}}}
	if *portfile != "" {
		port := ln.Addr().(*net.TCPAddr).Port
		tmp := *portfile + ".tmp"
		if err := os.WriteFile(tmp, []byte(fmt.Sprintf("%d\n", port)), 0o644); err != nil {
			return err
		}
		if err := os.Rename(tmp, *portfile); err != nil {
			return err
		}
	}
	return srv.ServeTLS(ln, "", "")
}

// setInt sets an int socket option before bind or connect; 0 leaves the kernel's value.
func setInt(c syscall.RawConn, level, name, v int) error {
	if v == 0 {
		return nil
	}
	var serr error
	err := c.Control(func(fd uintptr) { serr = syscall.SetsockoptInt(int(fd), level, name, v) })
	if err != nil {
		return err
	}
	return serr
}
