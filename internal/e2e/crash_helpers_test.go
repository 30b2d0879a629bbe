package e2e_test

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"
)

// killRounds is how many kills a crash test does: short in a normal run,
// long with VOLACT_LONG=1.
func killRounds(short, long int) int {
	if os.Getenv("VOLACT_LONG") == "1" {
		return long
	}
	return short
}

// needKill skips t where a process cannot be killed abruptly.
func needKill(t *testing.T) {
	t.Helper()
	if runtime.GOOS == "windows" {
		t.Skip("no SIGKILL on Windows: Process.Kill is TerminateProcess, which these tests do not model")
	}
	if testing.Short() {
		t.Skip("starts and kills many processes")
	}
}

// serveProc is a running `volact ... serve` process.
type serveProc struct {
	cmd  *exec.Cmd
	addr string // what the process wrote to its --addr-file
	logs *lockedBuffer
	done chan struct{}
}

// startServe runs volact with args plus --addr-file and waits until the
// process listens. The process is killed at the end of the test.
func startServe(t *testing.T, env []string, args ...string) *serveProc {
	t.Helper()
	addrFile := filepath.Join(t.TempDir(), "addr")
	cmd := exec.Command(program(args), append(args, "--addr-file", addrFile)...)
	cmd.Env = append(os.Environ(), env...)
	p := &serveProc{cmd: cmd, logs: &lockedBuffer{}, done: make(chan struct{})}
	cmd.Stdout, cmd.Stderr = p.logs, p.logs
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go func() { cmd.Wait(); close(p.done) }()
	t.Cleanup(p.kill)
	for deadline := time.Now().Add(30 * time.Second); time.Now().Before(deadline); time.Sleep(10 * time.Millisecond) {
		if b, err := os.ReadFile(addrFile); err == nil && len(b) > 0 {
			p.addr = strings.TrimSpace(string(b))
			return p
		}
		select {
		case <-p.done:
			t.Fatalf("volact %s exited before listening:\n%s", strings.Join(args, " "), p.logs.String())
		default:
		}
	}
	t.Fatalf("volact %s did not listen within 30s:\n%s", strings.Join(args, " "), p.logs.String())
	return nil
}

// kill sends SIGKILL and waits for the process to be gone.
func (p *serveProc) kill() {
	_ = p.cmd.Process.Kill()
	<-p.done
}

// lockedBuffer is a bytes.Buffer safe for concurrent writers.
type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

// postJSON posts v and returns the status and body; err is a transport
// failure (no answer).
func postJSON(hc *http.Client, url string, v any) (int, []byte, error) {
	body, err := json.Marshal(v)
	if err != nil {
		return 0, nil, err
	}
	resp, err := hc.Post(url, "application/json", bytes.NewReader(body))
	if err != nil {
		return 0, nil, err
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(resp.Body)
	if err != nil {
		return 0, nil, err // the answer was cut: not acknowledged
	}
	return resp.StatusCode, data, nil
}

// volactJSON runs volact with args, wants exit 0, and decodes stdout into v.
func volactJSON(t *testing.T, env []string, v any, args ...string) {
	t.Helper()
	code, out, errOut := volactRun(t, env, args...)
	if code != 0 {
		t.Fatalf("volact %s: exit %d\n%s%s", strings.Join(args, " "), code, out, errOut)
	}
	if err := json.Unmarshal([]byte(out), v); err != nil {
		t.Fatalf("volact %s: output is not JSON: %v\n%s", strings.Join(args, " "), err, out)
	}
}
