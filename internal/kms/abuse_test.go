package kms_test

import (
	"context"
	"encoding/json"
	"net"
	"testing"

	"github.com/volact/volact/internal/abusetest"
	"github.com/volact/volact/internal/httpserve"
	"github.com/volact/volact/internal/kms"
)

// TestHostileHTTP points oversize bodies, garbage, a slowloris client and
// 10,000 dropped connections at a serving host: it keeps answering, lets
// every connection go and counts none of the abuse.
func TestHostileHTTP(t *testing.T) {
	if testing.Short() {
		t.Skip("opens 10,000 connections and waits for the header timeout")
	}
	f := newFixture(t)
	addr := abusetest.Serve(t, func(ctx context.Context, ln net.Listener) error { return f.h.Serve(ctx, ln, nil) })
	for _, c := range []string{"c1", "c2", "c3", "c4"} { // the next one reaches the threshold
		f.activate(t, c, "suite-pro")
	}
	valid, err := json.Marshal(req("after-abuse", "suite-pro", t0))
	if err != nil {
		t.Fatal(err)
	}
	abusetest.Run(t, abusetest.Target{Addr: addr, Path: "/v1/kms/activate", MaxBody: kms.MaxRequestBody,
		ReadHeaderTimeout: httpserve.ReadHeaderTimeout, Valid: valid})
	if got := f.h.Counts()["suite"]; got != 5 {
		t.Errorf("count after the abuse and 5 valid requests: %d, want 5", got)
	}
}
