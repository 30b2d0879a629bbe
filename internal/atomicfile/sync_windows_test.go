package atomicfile

import (
	"os"
	"path/filepath"
	"testing"
	"time"
)

// TestWriteFileWhileReaderHasFileOpen holds the target open, as a lock-free
// reader does, so the first rename attempts fail; the reader closes it at
// the first pause and the write must then go through.
func TestWriteFileWhileReaderHasFileOpen(t *testing.T) {
	p := filepath.Join(t.TempDir(), "state.json")
	if err := WriteFile(p, []byte("old"), 0o600); err != nil {
		t.Fatal(err)
	}
	r, err := os.Open(p)
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	pauses := 0
	pause = func(time.Duration) {
		if pauses++; pauses == 1 {
			_ = r.Close()
		}
	}
	t.Cleanup(func() { pause = time.Sleep })

	if err := WriteFile(p, []byte("new"), 0o600); err != nil {
		t.Fatalf("WriteFile while a reader had the file open: %v", err)
	}
	if pauses == 0 {
		t.Error("rename never had to wait: the reader did not block it")
	}
	if b, _ := os.ReadFile(p); string(b) != "new" {
		t.Errorf("content %q, want new", b)
	}
}
