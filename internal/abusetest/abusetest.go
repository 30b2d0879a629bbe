// Package abusetest holds the hostile HTTP clients that the tests of the
// KMS host and the activation service point at their real servers (a
// net.Listener served by their Serve): oversize and garbage requests, a
// slowloris client, and thousands of connections opened and dropped.
package abusetest

import (
	"bufio"
	"bytes"
	"context"
	"crypto/rand"
	"fmt"
	"io"
	"net"
	"net/http"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"
)

// Serve starts serve on a fresh loopback listener and returns the address
// ("127.0.0.1:port"). serve runs until the end of the test, which then
// waits for it to return.
func Serve(t *testing.T, serve func(ctx context.Context, ln net.Listener) error) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- serve(ctx, ln) }()
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("serve: %v", err)
		}
	})
	return ln.Addr().String()
}

// Healthy fails t unless GET /healthz on addr answers 200.
func Healthy(t *testing.T, addr string) {
	t.Helper()
	hc := &http.Client{Timeout: 10 * time.Second, Transport: &http.Transport{DisableKeepAlives: true}}
	resp, err := hc.Get("http://" + addr + "/healthz")
	if err != nil {
		t.Fatalf("healthz: %v", err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("healthz: HTTP %d", resp.StatusCode)
	}
}

// Raw writes req on a new connection and returns the status code of the
// answer, or 0 when the server closed the connection without one.
func Raw(t *testing.T, addr string, req []byte) int {
	t.Helper()
	c, err := net.DialTimeout("tcp", addr, 5*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	c.SetDeadline(time.Now().Add(20 * time.Second))
	go func() { _, _ = c.Write(req) }() // the server may answer before reading it all
	resp, err := http.ReadResponse(bufio.NewReader(c), nil)
	if err != nil {
		return 0
	}
	resp.Body.Close()
	return resp.StatusCode
}

// Garbage is a set of requests no server should take: random bytes, a
// request line of noise, binary junk after valid headers.
func Garbage(path string) map[string][]byte {
	noise := make([]byte, 4096)
	rand.Read(noise)
	return map[string][]byte{
		"random bytes":       noise,
		"nul bytes":          make([]byte, 1024),
		"noise request line": []byte("\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03 / HTTP/1.1\r\n\r\n"),
		"huge header":        []byte("GET /healthz HTTP/1.1\r\nHost: x\r\nX-Big: " + strings.Repeat("a", 1<<20) + "\r\n\r\n"),
		"bad content length": []byte("POST " + path + " HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: -5\r\n\r\n{}"),
		"binary body": append([]byte(fmt.Sprintf("POST %s HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: %d\r\nConnection: close\r\n\r\n",
			path, len(noise))), noise...),
	}
}

// Oversize posts a body of size bytes to path, with a Content-Length or
// chunked, and returns the status code (0: the server closed the
// connection without an answer).
func Oversize(t *testing.T, addr, path string, size int64, chunked bool) int {
	t.Helper()
	body := io.LimitReader(zeros{}, size)
	req, err := http.NewRequest(http.MethodPost, "http://"+addr+path, body)
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/json")
	if !chunked {
		req.ContentLength = size
	}
	hc := &http.Client{Timeout: 20 * time.Second, Transport: &http.Transport{DisableKeepAlives: true}}
	resp, err := hc.Do(req)
	if err != nil {
		return 0
	}
	resp.Body.Close()
	return resp.StatusCode
}

type zeros struct{}

func (zeros) Read(p []byte) (int, error) {
	for i := range p {
		p[i] = '0'
	}
	return len(p), nil
}

// Slowloris sends a request's headers to addr one byte every 100 ms and
// returns how many bytes the server took before it closed the
// connection. It fails t if the server still reads after limit.
func Slowloris(t *testing.T, addr string, limit time.Duration) int {
	t.Helper()
	c, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	head := []byte("GET /healthz HTTP/1.1\r\nHost: x\r\nX-Slow: " + strings.Repeat("z", 10000))
	closed := make(chan struct{})
	go func() { // a read returns when the server closes (or answers 408)
		io.Copy(io.Discard, c)
		close(closed)
	}()
	tick := time.NewTicker(100 * time.Millisecond)
	defer tick.Stop()
	deadline := time.After(limit)
	for i := range head {
		select {
		case <-closed:
			return i
		case <-deadline:
			t.Fatalf("the server still reads a header sent at 10 bytes/s after %s (%d bytes)", limit, i)
		case <-tick.C:
			if _, err := c.Write(head[i : i+1]); err != nil {
				return i
			}
		}
	}
	t.Fatalf("the server read a %d-byte header at 10 bytes/s to its end", len(head))
	return len(head)
}

// Churn opens total connections to addr in batches of batch, writes to
// some a partial request, and drops them all.
func Churn(t *testing.T, addr string, total, batch int) {
	t.Helper()
	partial := [][]byte{nil, []byte("GET /healthz HTTP/1.1\r\nHo"), []byte("POST /v1/x HTTP/1.1\r\nHost: x\r\nContent-Length: 100\r\n\r\n{\"a\":")}
	for done := 0; done < total; done += batch {
		var wg sync.WaitGroup
		conns := make([]net.Conn, min(batch, total-done))
		for i := range conns {
			wg.Go(func() {
				c, err := net.DialTimeout("tcp", addr, 10*time.Second)
				if err != nil {
					t.Errorf("dial %d: %v", done+i, err)
					return
				}
				if p := partial[i%len(partial)]; p != nil {
					_, _ = c.Write(p)
				}
				conns[i] = c
			})
		}
		wg.Wait()
		for _, c := range conns {
			if c != nil {
				if tc, ok := c.(*net.TCPConn); ok && (done/batch)%2 == 0 {
					tc.SetLinger(0) // every other batch resets instead of closing
				}
				c.Close()
			}
		}
		if t.Failed() {
			return
		}
	}
}

// Goroutines waits up to 15 s for the number of goroutines to come back to
// at most baseline+slack and fails t if it does not.
func Goroutines(t *testing.T, baseline, slack int) int {
	t.Helper()
	n := runtime.NumGoroutine()
	for deadline := time.Now().Add(15 * time.Second); n > baseline+slack && time.Now().Before(deadline); n = runtime.NumGoroutine() {
		time.Sleep(50 * time.Millisecond)
	}
	if n > baseline+slack {
		buf := make([]byte, 1<<16)
		buf = buf[:runtime.Stack(buf, true)]
		t.Fatalf("%d goroutines, baseline %d: connections were not let go\n%s", n, baseline, firstLines(buf, 60))
	}
	return n
}

// HeapInUse returns the live heap after a collection.
func HeapInUse() uint64 {
	runtime.GC()
	var m runtime.MemStats
	runtime.ReadMemStats(&m)
	return m.HeapInuse
}

func firstLines(b []byte, n int) []byte {
	lines := bytes.SplitAfterN(b, []byte("\n"), n+1)
	return bytes.Join(lines[:min(n, len(lines))], nil)
}

// Target is a server under test.
type Target struct {
	Addr              string        // host:port it listens on
	Path              string        // its activation endpoint
	MaxBody           int64         // its request body cap
	ReadHeaderTimeout time.Duration // its http.Server's
	Valid             []byte        // a request body the server answers 200, after all the abuse too
}

// Run points every hostile client at tg in turn: oversize bodies (413),
// garbage (a 4xx answer or a closed connection, never a crash, a 2xx or a
// 5xx), a slowloris client (cut off), and 10,000 connections opened and
// dropped in batches of 500; after which /healthz and a valid activation
// still answer, the goroutines come back to the baseline and the heap
// grew by less than 16 MiB. It logs the figures.
func Run(t *testing.T, tg Target) {
	t.Helper()
	Healthy(t, tg.Addr)
	baseline, heap := runtime.NumGoroutine(), HeapInUse()
	t.Run("abuse", func(t *testing.T) { // the clients run side by side
		t.Run("oversize", func(t *testing.T) {
			t.Parallel()
			for _, size := range []int64{tg.MaxBody + 1, 64 << 20} {
				for _, chunked := range []bool{false, true} {
					if got := Oversize(t, tg.Addr, tg.Path, size, chunked); got != http.StatusRequestEntityTooLarge && got != 0 {
						t.Errorf("%d-byte body (chunked %v): HTTP %d, want 413", size, chunked, got)
					}
				}
			}
		})
		for name, req := range Garbage(tg.Path) {
			t.Run("garbage "+name, func(t *testing.T) {
				t.Parallel()
				if got := Raw(t, tg.Addr, req); got != 0 && (got < 400 || got >= 500) {
					t.Errorf("HTTP %d, want a 4xx answer or a closed connection", got)
				}
			})
		}
		t.Run("slowloris", func(t *testing.T) {
			t.Parallel()
			n := Slowloris(t, tg.Addr, tg.ReadHeaderTimeout+10*time.Second)
			t.Logf("slowloris cut off after %d header bytes", n)
		})
		t.Run("10000 connections dropped", func(t *testing.T) {
			t.Parallel()
			Churn(t, tg.Addr, 10000, 500)
		})
	})
	Healthy(t, tg.Addr)
	hc := &http.Client{Timeout: 10 * time.Second, Transport: &http.Transport{DisableKeepAlives: true}}
	resp, err := hc.Post("http://"+tg.Addr+tg.Path, "application/json", bytes.NewReader(tg.Valid))
	if err != nil {
		t.Fatalf("valid request after the abuse: %v", err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("valid request after the abuse: HTTP %d %s", resp.StatusCode, body)
	}
	n := Goroutines(t, baseline, 10)
	after := HeapInUse()
	if after > heap+16<<20 {
		t.Errorf("heap grew from %d to %d bytes after the abuse", heap, after)
	}
	t.Logf("after the abuse: %d goroutines (baseline %d), heap %d KiB (was %d KiB)", n, baseline, after>>10, heap>>10)
}
