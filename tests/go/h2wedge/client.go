package main

import (
	"bytes"
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptrace"
	"os"
	"os/signal"
	"path/filepath"
	"sort"
	"sync"
	"syscall"
	"time"
)

// events are JSON lines on stdout; t is Unix time in seconds, so that the test can line them up
// with the moment it stopped a server.
type events struct {
	mu      sync.Mutex
	pending map[string]map[string]interface{}
}

func (e *events) emit(m map[string]interface{}) {
	m["t"] = float64(time.Now().UnixNano()) / 1e9
	b, _ := json.Marshal(m)
	e.mu.Lock()
	os.Stdout.Write(append(b, '\n'))
	e.mu.Unlock()
}

func (e *events) track(key string, m map[string]interface{}) {
	e.mu.Lock()
	if m == nil {
		delete(e.pending, key)
	} else {
		e.pending[key] = m
	}
	e.mu.Unlock()
}

// client runs three loops until -duration: large uploads to A (the server the test will stop),
// small pings to A (other streams of the same connection), small pings to B (a healthy server on
// the same Transport). No request has a deadline of its own: as in the incident, only the kernel
// can end a request whose connection is wedged.
func client(args []string) error {
	fs := flag.NewFlagSet("client", flag.ContinueOnError)
	dir := fs.String("dir", ".", "where cert.pem is")
	portA := fs.Int("a", 0, "port of server A")
	portB := fs.Int("b", 0, "port of server B")
	body := fs.Int("body", 4<<20, "bytes per upload to A")
	sndbuf := fs.Int("sndbuf", 65536, "SO_SNDBUF of the client's sockets (0: the kernel's)")
	interval := fs.Duration("interval", 100*time.Millisecond, "pause between two requests of a loop")
	duration := fs.Duration("duration", 20*time.Second, "run this long (or until SIGTERM), then report what is pending and exit")
	if err := fs.Parse(args); err != nil {
		return err
	}
	pem, err := os.ReadFile(filepath.Join(*dir, "cert.pem"))
	if err != nil {
		return err
	}
	pool := x509.NewCertPool()
	if !pool.AppendCertsFromPEM(pem) {
		return fmt.Errorf("no certificate in %s", filepath.Join(*dir, "cert.pem"))
	}
	// As http.DefaultTransport, with the test's certificate and a small send buffer: with a
	// small buffer the client's own write blocks (the incident's wedge), not only the peer's window.
	dialer := &net.Dialer{Timeout: 30 * time.Second, KeepAlive: 30 * time.Second,
		Control: func(_, _ string, c syscall.RawConn) error {
			return setInt(c, syscall.SOL_SOCKET, syscall.SO_SNDBUF, *sndbuf)
		}}
	tr := &http.Transport{
		DialContext:         dialer.DialContext,
		TLSClientConfig:     &tls.Config{RootCAs: pool},
		ForceAttemptHTTP2:   true,
		TLSHandshakeTimeout: 10 * time.Second,
		IdleConnTimeout:     90 * time.Second,
	}
	hc := &http.Client{Transport: tr}
	ev := &events{pending: map[string]map[string]interface{}{}}
	payload := bytes.Repeat([]byte("unwedge!"), *body/8)

	loop := func(target, method, url string, withBody bool) {
		for id := 1; ; id++ {
			var rd io.Reader
			if withBody {
				rd = bytes.NewReader(payload)
			}
			req, _ := http.NewRequestWithContext(context.Background(), method, url, rd)
			local, reused := "", false
			req = req.WithContext(httptrace.WithClientTrace(req.Context(), &httptrace.ClientTrace{
				GotConn: func(ci httptrace.GotConnInfo) {
					local, reused = ci.Conn.LocalAddr().String(), ci.Reused
				},
			}))
			key := fmt.Sprintf("%s/%d", target, id)
			start := time.Now()
			ev.track(key, map[string]interface{}{"target": target, "id": id,
				"start": float64(start.UnixNano()) / 1e9})
			resp, err := hc.Do(req)
			m := map[string]interface{}{"ev": "done", "target": target, "id": id}
			if err == nil {
				_, err = io.Copy(io.Discard, resp.Body)
				resp.Body.Close()
				m["proto"] = resp.Proto
				m["status"] = resp.StatusCode
			}
			ev.track(key, nil)
			m["ms"] = float64(time.Since(start).Microseconds()) / 1e3
			m["ok"] = err == nil && resp.StatusCode == http.StatusOK
			m["local"], m["reused"] = local, reused
			if err != nil {
				m["err"] = err.Error()
			}
			ev.emit(m)
			time.Sleep(*interval)
		}
	}
	a := fmt.Sprintf("https://127.0.0.1:%d", *portA)
	b := fmt.Sprintf("https://127.0.0.1:%d", *portB)
	ev.emit(map[string]interface{}{"ev": "start", "pid": os.Getpid()})
	go loop("a-upload", http.MethodPost, a+"/upload", true)
	go loop("a-ping", http.MethodGet, a+"/ping", false)
	go loop("b-ping", http.MethodGet, b+"/ping", false)

	// SIGTERM ends the observation early, with the same report.
	term := make(chan os.Signal, 1)
	signal.Notify(term, syscall.SIGTERM)
	select {
	case <-time.After(*duration):
	case <-term:
	}
	ev.mu.Lock()
	var still []map[string]interface{}
	for _, m := range ev.pending {
		still = append(still, m)
	}
	ev.mu.Unlock()
	sort.Slice(still, func(i, j int) bool { return fmt.Sprint(still[i]["target"]) < fmt.Sprint(still[j]["target"]) })
	ev.emit(map[string]interface{}{"ev": "end", "pending": still})
	os.Exit(0)
	return nil
}
