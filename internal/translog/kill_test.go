package translog

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"sync"
	"syscall"
	"testing"
	"time"
)

// childEnv makes the test binary a child that appends to the log in the
// named directory from 8 goroutines and prints each receipt as JSON, until
// it is killed.
const childEnv = "TRANSLOG_TEST_CHILD_DIR"

func TestMain(m *testing.M) {
	if dir := os.Getenv(childEnv); dir != "" {
		appendForever(dir)
		return
	}
	os.Exit(m.Run())
}

func appendForever(dir string) {
	k, err := makeTestKey(1)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(3)
	}
	l, err := Open(dir, k.opts())
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(3)
	}
	var mu sync.Mutex
	out := bufio.NewWriter(os.Stdout)
	var wg sync.WaitGroup
	for g := range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; ; i++ {
				leaf := fmt.Appendf(nil, "child %d leaf %d", g, i)
				r, err := l.Append(context.Background(), leaf)
				if err != nil {
					fmt.Fprintln(os.Stderr, err)
					os.Exit(4)
				}
				js, _ := json.Marshal(struct {
					Leaf    []byte
					Receipt Receipt
				}{leaf, r})
				mu.Lock()
				out.Write(append(js, '\n'))
				out.Flush()
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
}

// TestKill9KeepsAcknowledgedLeaves kills a process that is appending with
// SIGKILL, then checks that the reopened log holds every leaf whose
// receipt the process had printed, at its index, and extends every
// checkpoint it had handed out.
func TestKill9KeepsAcknowledgedLeaves(t *testing.T) {
	if testing.Short() {
		t.Skip("starts a child process")
	}
	k := newTestKey(t, 1)
	dir := t.TempDir()
	for round := range 3 {
		cmd := exec.Command(os.Args[0], "-test.run=^$")
		cmd.Env = append(os.Environ(), childEnv+"="+dir)
		stdout, err := cmd.StdoutPipe()
		if err != nil {
			t.Fatal(err)
		}
		cmd.Stderr = os.Stderr
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		type ack struct {
			Leaf    []byte
			Receipt Receipt
		}
		var acks []ack
		sc := bufio.NewScanner(stdout)
		deadline := time.Now().Add(10 * time.Second)
		for len(acks) < 200 && time.Now().Before(deadline) && sc.Scan() {
			var a ack
			if err := json.Unmarshal(sc.Bytes(), &a); err != nil {
				t.Fatalf("child output %q: %v", sc.Bytes(), err)
			}
			acks = append(acks, a)
		}
		if err := cmd.Process.Signal(syscall.SIGKILL); err != nil {
			t.Fatal(err)
		}
		for sc.Scan() { // receipts printed before the kill landed
			var a ack
			if json.Unmarshal(sc.Bytes(), &a) == nil {
				acks = append(acks, a)
			}
		}
		_ = cmd.Wait()
		if len(acks) < 200 {
			t.Fatalf("round %d: child acknowledged only %d leaves", round, len(acks))
		}

		l := mustOpen(t, dir, k)
		for _, a := range acks {
			c, err := VerifyReceipt(a.Leaf, a.Receipt, k.verif)
			if err != nil {
				t.Fatalf("round %d: receipt of leaf %d: %v", round, a.Receipt.Index, err)
			}
			proof, err := l.RecordProof(a.Receipt.Index, l.Size())
			if err != nil {
				t.Fatalf("round %d: leaf %d lost: log size %d: %v", round, a.Receipt.Index, l.Size(), err)
			}
			if _, err := VerifyReceipt(a.Leaf, Receipt{Index: a.Receipt.Index, Checkpoint: l.Checkpoint(), Proof: proof}, k.verif); err != nil {
				t.Fatalf("round %d: leaf %d not in the reopened log: %v", round, a.Receipt.Index, err)
			}
			cp, err := l.ConsistencyProof(c.Size, l.Size())
			if err != nil {
				t.Fatal(err)
			}
			if err := VerifyConsistency(a.Receipt.Checkpoint, l.Checkpoint(), cp, k.verif); err != nil {
				t.Fatalf("round %d: reopened log does not extend checkpoint %d: %v", round, c.Size, err)
			}
		}
		t.Logf("round %d: %d acknowledged, log size %d, recovery %+v", round, len(acks), l.Size(), l.Recovery())
		mustClose(t, l)
	}
}
