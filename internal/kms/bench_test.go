package kms_test

import (
	"net/http"
	"testing"
	"time"

	"github.com/volact/volact/internal/kms"
	"github.com/volact/volact/internal/kms/kmstest"
)

// BenchmarkHost is the host's handler with counting, the journal, the
// applier (synchronous=FULL batches) and signing.
func BenchmarkHost(b *testing.B) {
	now := time.Now()
	a := kmstest.Authority(b, now)
	dir := kmstest.ActivatedDir(b, a, now, "suite-pro")
	h, err := kms.Open(kms.Options{Dir: dir, Name: "kms1"})
	if err != nil {
		b.Fatal(err)
	}
	defer h.Close()
	kmstest.BenchHandler(b, h.Handler(nil), http.StatusOK, http.StatusConflict)
}
