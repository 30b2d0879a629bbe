package trueup_test

import (
	"bytes"
	"testing"
	"time"

	"github.com/volact/volact/internal/hresult"
	"github.com/volact/volact/internal/trueup"
)

// FuzzVerify feeds edited ledger exports (header, certificates, leaves,
// checkpoints) to Verify: it never panics, and it refuses with exit 7 or
// accepts only leaves and checkpoints the host key signed.
func FuzzVerify(f *testing.F) {
	data, root := export(f, key(2), [][]byte{grant("a", t0), grant("b", t0.Add(time.Hour))})
	f.Add(data)
	f.Add([]byte("volact-ledger v1\ncertificate e30=\nvolact-translog export v1\n"))
	f.Fuzz(func(t *testing.T, in []byte) {
		rep, err := trueup.Verify(bytes.NewReader(in), root)
		if err != nil {
			if e := hresult.From(err); e.Exit != hresult.ExitStore && e.Code != hresult.BadSignature {
				t.Fatalf("error %v (exit %d), want exit 7", err, e.Exit)
			}
			return
		}
		if rep.Leaves > 2 {
			t.Fatalf("accepted %d leaves the host never signed", rep.Leaves)
		}
	})
}
