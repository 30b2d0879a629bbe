// Package kmsbench is the KMS host's benchmark harness, used by
// `volactd kms bench`: a load generator that drives a running host over
// HTTP ([Bench]), the floors it is compared with ([FloorHandler],
// [ServeFloor]), the memory driver that feeds a host in-process
// ([MemoryBench]), and a reader of a server process's CPU time
// ([ProcessCPU]). It measures; it asserts nothing. The KMS host itself
// (package kms) links none of it.
package kmsbench

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/volact/volact/internal/hresult"
	"github.com/volact/volact/internal/protocol"
)

// BenchResult is what one load run measured.
type BenchResult struct {
	Clients   int            `json:"clients"`
	Requests  int            `json:"requests"`
	Errors    int            `json:"errors"` // transport failures and answers other than a grant or a count
	Seconds   float64        `json:"seconds"`
	PerSecond float64        `json:"requests_per_second"`
	P50       time.Duration  `json:"p50_ns"`
	P99       time.Duration  `json:"p99_ns"`
	P999      time.Duration  `json:"p999_ns"`
	Answers   map[string]int `json:"answers"` // by result code
	// ServerCPU is the CPU time (user + system) the server process used
	// during the run, when BenchOptions.PID was given and it could be read
	// (see ProcessCPU); nil otherwise.
	ServerCPU *time.Duration `json:"server_cpu_ns,omitempty"`
}

// CPUPerRequest is the server's CPU time per answered or failed request,
// and false when the server's CPU time was not measured.
func (r BenchResult) CPUPerRequest() (time.Duration, bool) {
	if r.ServerCPU == nil || r.Requests == 0 {
		return 0, false
	}
	return *r.ServerCPU / time.Duration(r.Requests), true
}

// BenchOptions configure Bench.
type BenchOptions struct {
	Target   string        // host base URL, http://host:port (or host:port)
	Clients  int           // concurrent simulated clients, each on its own keep-alive connection
	Duration time.Duration // how long to run
	SKU      string        // product the clients ask for
	Machines int           // distinct CMIDs each client cycles through; 0 = a new CMID every request
	Run      string        // tag put in every CMID, so runs against one host do not share clients
	PID      int           // the server's process, whose CPU time is read before and after the run; 0 = none
	Now      func() time.Time
}

// Bench drives a running host with o.Clients simulated clients over
// keep-alive connections for o.Duration and reports requests per second and
// latency percentiles. Grants and count-too-low answers both count as
// answered requests. With o.PID it also reports the server's CPU time
// (Linux only: elsewhere ServerCPU stays nil). It is a benchmark, not a
// test: it asserts nothing.
func Bench(ctx context.Context, o BenchOptions) (BenchResult, error) {
	if o.Clients < 1 || o.Duration <= 0 {
		return BenchResult{}, hresult.New(hresult.InvalidArg, "bench needs at least 1 client and a positive duration").WithExit(hresult.ExitInvalid)
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.Run == "" {
		o.Run = strconv.FormatInt(time.Now().UnixNano()%1e9, 36)
	}
	url := strings.TrimRight(o.Target, "/")
	if !strings.Contains(url, "://") {
		url = "http://" + url
	}
	url += "/v1/kms/activate"
	tr := &http.Transport{MaxIdleConns: o.Clients, MaxIdleConnsPerHost: o.Clients, MaxConnsPerHost: o.Clients, IdleConnTimeout: time.Minute}
	defer tr.CloseIdleConnections()
	hc := &http.Client{Transport: tr, Timeout: 10 * time.Second}
	ctx, cancel := context.WithTimeout(ctx, o.Duration)
	defer cancel()
	type tally struct {
		lat     []time.Duration
		errs    int
		answers map[string]int
	}
	tallies := make([]tally, o.Clients)
	cpu0, cpuErr := serverCPU(o.PID)
	if cpuErr != nil && !errors.Is(cpuErr, ErrNoProcessCPU) {
		return BenchResult{}, cpuErr
	}
	start := time.Now()
	var wg sync.WaitGroup
	for w := range o.Clients {
		wg.Go(func() {
			t := &tallies[w]
			t.answers = map[string]int{}
			var buf bytes.Buffer
			for i := 0; ctx.Err() == nil; i++ {
				m := i
				if o.Machines > 0 {
					m = i % o.Machines
				}
				body := benchRequest(o, w, m, i)
				t0 := time.Now()
				code, err := benchOne(ctx, hc, url, body, &buf)
				if ctx.Err() != nil {
					return
				}
				t.lat = append(t.lat, time.Since(t0))
				if err != nil {
					t.errs++
					continue
				}
				t.answers[code]++
				if code != okCode && code != countTooLowCode {
					t.errs++
				}
			}
		})
	}
	wg.Wait()
	elapsed := time.Since(start)
	r := BenchResult{Clients: o.Clients, Seconds: elapsed.Seconds(), Answers: map[string]int{}}
	if cpuErr == nil && o.PID > 0 {
		cpu1, err := serverCPU(o.PID)
		if err != nil {
			return BenchResult{}, err
		}
		used := cpu1 - cpu0
		r.ServerCPU = &used
	}
	var all []time.Duration
	for _, t := range tallies {
		all = append(all, t.lat...)
		r.Errors += t.errs
		for k, v := range t.answers {
			r.Answers[k] += v
		}
	}
	r.Requests = len(all)
	r.PerSecond = float64(r.Requests) / elapsed.Seconds()
	slices.Sort(all)
	if n := len(all); n > 0 {
		r.P50, r.P99, r.P999 = all[n*50/100], all[min(n-1, n*99/100)], all[min(n-1, n*999/1000)]
	}
	return r, nil
}

// serverCPU is ProcessCPU(pid), or 0 when no process is given.
func serverCPU(pid int) (time.Duration, error) {
	if pid <= 0 {
		return 0, nil
	}
	return ProcessCPU(pid)
}

var (
	okCode          = hresult.OK.String()
	countTooLowCode = hresult.CountTooLow.String()
)

// benchRequest is the body of request i of client w: a real
// ActivationRequest with the CMID of machine m.
func benchRequest(o BenchOptions, w, m, i int) []byte {
	cmid := fmt.Sprintf("bench-%s-%d-%d", o.Run, w, m)
	body, _ := json.Marshal(protocol.ActivationRequest{Version: protocol.Version, Kind: protocol.KindKMS, SKU: o.SKU,
		HardwareID: "hw-" + cmid, CMID: cmid, ClientTime: o.Now().UTC(), Nonce: "n" + strconv.Itoa(i)})
	return body
}

// benchOne sends one request and returns the answer's result code.
func benchOne(ctx context.Context, hc *http.Client, url string, body []byte, buf *bytes.Buffer) (string, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, url, bytes.NewReader(body))
	if err != nil {
		return "", err
	}
	req.Header.Set("Content-Type", "application/json")
	resp, err := hc.Do(req)
	if err != nil {
		return "", err
	}
	defer resp.Body.Close()
	buf.Reset()
	if _, err := buf.ReadFrom(io.LimitReader(resp.Body, 1<<20)); err != nil {
		return "", err
	}
	if resp.StatusCode == http.StatusOK {
		return okCode, nil
	}
	var er protocol.ErrorResponse
	if json.Unmarshal(buf.Bytes(), &er) != nil || er.Error.Code == "" {
		return fmt.Sprintf("HTTP %d", resp.StatusCode), nil
	}
	return er.Error.Code, nil
}
