package kmsbench_test

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"os"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/volact/volact/internal/hresult"
	"github.com/volact/volact/internal/kms/kmsbench"
	"github.com/volact/volact/internal/kms/kmstest"
	"github.com/volact/volact/internal/protocol"
)

func TestBench(t *testing.T) {
	floor, err := kmsbench.FloorHandler(kmsbench.FloorOptions{Issuer: "kms1"})
	if err != nil {
		t.Fatal(err)
	}
	tooLow, _ := json.Marshal(protocol.ErrorFrom(hresult.New(hresult.CountTooLow, "count 1 of 5")))
	clockSkew, _ := json.Marshal(protocol.ErrorFrom(hresult.New(hresult.ClockSkew, "clocks differ")))
	answer := func(status int, body []byte) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
			w.WriteHeader(status)
			_, _ = w.Write(body)
		})
	}
	ok, low := hresult.OK.String(), hresult.CountTooLow.String()
	for _, tc := range []struct {
		name     string
		h        http.Handler
		clients  int
		machines int
		bare     bool // target as host:port, no scheme
		cpu      bool // read the server's CPU time: the server is in this process
		answer   string
		errors   bool
	}{
		{"floor, one client", floor, 1, 0, false, false, ok, false},
		{"floor, four clients cycling two machines", floor, 4, 2, false, false, ok, false},
		{"floor as host:port", floor, 2, 0, true, false, ok, false},
		{"floor with its CPU time", floor, 2, 0, false, true, ok, false},
		{"count too low is answered", answer(http.StatusConflict, tooLow), 2, 0, false, false, low, false},
		{"clock skew is an error", answer(http.StatusConflict, clockSkew), 1, 0, false, false, hresult.ClockSkew.String(), true},
		{"no error body is an error", answer(http.StatusBadGateway, []byte("bad gateway")), 1, 0, false, false, "HTTP 502", true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			srv := httptest.NewServer(tc.h)
			defer srv.Close()
			target := srv.URL
			if tc.bare {
				target = strings.TrimPrefix(target, "http://")
			}
			pid := 0
			if tc.cpu {
				pid = os.Getpid()
			}
			r, err := kmsbench.Bench(context.Background(), kmsbench.BenchOptions{Target: target, Clients: tc.clients,
				Duration: 200 * time.Millisecond, SKU: "suite-pro", Machines: tc.machines, PID: pid})
			if err != nil {
				t.Fatal(err)
			}
			if r.Clients != tc.clients || r.Requests == 0 || r.PerSecond <= 0 || r.P50 <= 0 || r.P50 > r.P99 || r.P99 > r.P999 {
				t.Fatalf("implausible result %+v", r)
			}
			if len(r.Answers) != 1 || r.Answers[tc.answer] == 0 {
				t.Fatalf("answers %v, want only %s", r.Answers, tc.answer)
			}
			if got := r.Errors > 0; got != tc.errors {
				t.Fatalf("%d errors of %d requests, want errors: %v", r.Errors, r.Requests, tc.errors)
			}
			perReq, measured := r.CPUPerRequest()
			if want := tc.cpu && runtime.GOOS == "linux"; measured != want || (measured && (*r.ServerCPU < 0 || perReq < 0)) {
				t.Fatalf("server CPU %v (%v a request, measured %v), want measured: %v", r.ServerCPU, perReq, measured, want)
			}
		})
	}
}

func TestBenchNeedsTheServerProcess(t *testing.T) {
	if runtime.GOOS != "linux" {
		t.Skip("process CPU time is read on Linux only")
	}
	srv := httptest.NewServer(http.NotFoundHandler())
	defer srv.Close()
	_, err := kmsbench.Bench(context.Background(), kmsbench.BenchOptions{Target: srv.URL, Clients: 1, Duration: time.Millisecond, PID: 1 << 30})
	if err == nil || !strings.Contains(err.Error(), "CPU time of process") {
		t.Fatalf("Bench with no such process = %v, want an error", err)
	}
}

func TestBenchRefusesBadOptions(t *testing.T) {
	for _, o := range []kmsbench.BenchOptions{
		{Target: "127.0.0.1:1", Clients: 0, Duration: time.Second},
		{Target: "127.0.0.1:1", Clients: 1, Duration: 0},
	} {
		if _, err := kmsbench.Bench(context.Background(), o); hresult.CodeOf(err) != hresult.InvalidArg {
			t.Errorf("Bench(%+v) = %v, want an invalid-argument error", o, err)
		}
	}
}

// BenchmarkFloor is the floor: decode and seal only.
func BenchmarkFloor(b *testing.B) {
	h, err := kmsbench.FloorHandler(kmsbench.FloorOptions{Issuer: "kms1"})
	if err != nil {
		b.Fatal(err)
	}
	kmstest.BenchHandler(b, h, http.StatusOK)
}

// BenchmarkFloorUnsigned is the unsigned floor: decode and encode only.
func BenchmarkFloorUnsigned(b *testing.B) {
	h, err := kmsbench.FloorHandler(kmsbench.FloorOptions{Issuer: "kms1", NoSign: true})
	if err != nil {
		b.Fatal(err)
	}
	kmstest.BenchHandler(b, h, http.StatusOK)
}
