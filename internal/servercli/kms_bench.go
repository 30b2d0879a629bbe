package servercli

import (
	"context"
	"fmt"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/volact/volact/internal/cmdutil"
	"github.com/volact/volact/internal/httpserve"
	"github.com/volact/volact/internal/kms"
	"github.com/volact/volact/internal/kms/kmsbench"
)

func newKmsBenchCmd(f *cmdutil.Factory) *cobra.Command {
	var target, floor, clients, sku, listen, addrFile, dir, totals string
	var dur time.Duration
	var serveFloor, noSign, memory, markdown bool
	var workers, targetPID, floorPID int
	cmd := &cobra.Command{
		Use:   "bench --target URL [--floor URL] [--clients 1,8,64] [--duration 5s]",
		Short: "Drive a running KMS host with simulated clients; print requests/s and p50/p99/p999 latency",
		Long: `A load generator: for each concurrency, that many simulated clients send
activation requests over keep-alive connections for --duration, each request
from a new CMID. Count-too-low answers and grants both count as answered; the
host records every request in its history. It measures; it asserts nothing.

--floor URL also drives a floor server (started with --serve-floor) at each
concurrency, just before the host, and prints the host's figures as ratios
of the floor's. The floor decodes the same request and signs the same grant
with Ed25519, with no counting, history or disk. --serve-floor --no-sign
serves the unsigned floor: the same grant and certificate, no signature.

--target-pid and --floor-pid name the processes of the host and the floor:
their CPU time (user + system, from /proc/PID/stat) is read before and
after each run and printed as CPU per request next to requests/s and p99
("n/a" on systems other than Linux).

--memory feeds --totals distinct clients straight into the host in --data
(no HTTP, --workers concurrent submitters) and prints the process's memory
after each total.

On a terminal, stderr shows a bar that moves after each run (not with -q).`,
		Example: `  volactd kms bench --target http://127.0.0.1:1688 --clients 1,8,64 --duration 5s
  volactd kms bench --serve-floor --listen 127.0.0.1:0 --addr-file floor.addr
  volactd kms bench --serve-floor --no-sign --addr-file unsigned.addr
  volactd kms bench --target $KMS --floor $FLOOR --markdown
  volactd kms bench --target $KMS --target-pid $KMS_PID --floor $FLOOR --floor-pid $FLOOR_PID
  volactd kms bench --memory --data DIR --totals 10000,100000,1000000`,
		Args: cmdutil.Args(0, 0),
		RunE: func(cmd *cobra.Command, _ []string) error {
			ctx, stop := cmdutil.InterruptContext()
			defer stop()
			switch {
			case serveFloor:
				return serveBenchFloor(ctx, listen, addrFile, noSign)
			case noSign:
				return &cmdutil.UsageError{Err: fmt.Errorf("kms bench: --no-sign goes with --serve-floor")}
			case memory:
				return benchMemory(ctx, f, dir, sku, totals, workers, markdown)
			case target == "":
				return &cmdutil.UsageError{Err: fmt.Errorf("kms bench: give --target URL, --serve-floor or --memory")}
			case floorPID != 0 && floor == "":
				return &cmdutil.UsageError{Err: fmt.Errorf("kms bench: --floor-pid goes with --floor")}
			case targetPID < 0 || floorPID < 0:
				return cmdutil.Invalidf("--target-pid and --floor-pid are process IDs, not %d", min(targetPID, floorPID))
			}
			levels, err := benchInts("--clients", clients, 4096)
			if err != nil {
				return err
			}
			runs := len(levels)
			if floor != "" {
				runs *= 2
			}
			bar := newProgress(f.IO, f.Opts.Quiet, int64(runs), "bench")
			defer bar.Stop()
			run := func(what, url string, pid, n int) (kmsbench.BenchResult, error) {
				bar.Describe(fmt.Sprintf("bench: %s, %d clients", what, n))
				r, err := kmsbench.Bench(ctx, kmsbench.BenchOptions{Target: url, Clients: n, Duration: dur, SKU: sku, PID: pid, Now: f.MustNow})
				bar.Add(1)
				return r, err
			}
			var out []benchLevel
			for _, n := range levels {
				var l benchLevel
				if floor != "" {
					r, err := run("floor", floor, floorPID, n)
					if err != nil {
						return err
					}
					l.Floor = &r
				}
				if l.Host, err = run("host", target, targetPID, n); err != nil {
					return err
				}
				out = append(out, l)
			}
			bar.Finish()
			if f.Opts.JSON {
				cmdutil.WriteJSON(f.IO.Out, map[string]any{"target": target, "floor": floor, "results": out})
				return nil
			}
			header, rows := benchRows(out, targetPID != 0 || floorPID != 0)
			return benchTable(f, markdown, header, rows)
		},
	}
	cmd.Flags().StringVar(&target, "target", "", "KMS host URL or host:port")
	cmd.Flags().StringVar(&floor, "floor", "", "floor server URL (from --serve-floor) to compare the host with")
	cmd.Flags().IntVar(&targetPID, "target-pid", 0, "process ID of the host, to print its CPU time per request (Linux)")
	cmd.Flags().IntVar(&floorPID, "floor-pid", 0, "process ID of the floor, to print its CPU time per request (Linux)")
	cmd.Flags().StringVar(&clients, "clients", "1,8,64", "concurrency levels, comma-separated")
	cmd.Flags().DurationVar(&dur, "duration", 5*time.Second, "duration of each level")
	cmd.Flags().StringVar(&sku, "sku", "suite-pro", "product the simulated clients activate")
	cmd.Flags().BoolVar(&serveFloor, "serve-floor", false, "serve the floor (decode + Ed25519 seal, nothing else) on --listen until stopped")
	cmd.Flags().BoolVar(&noSign, "no-sign", false, "with --serve-floor: answer the same grant without the Ed25519 signature")
	cmd.Flags().StringVar(&listen, "listen", "127.0.0.1:0", "with --serve-floor: address to listen on")
	cmd.Flags().StringVar(&addrFile, "addr-file", "", "with --serve-floor: write host:port to this file once listening")
	cmd.Flags().BoolVar(&memory, "memory", false, "measure the host's memory as distinct clients grow (in-process, needs --data)")
	cmd.Flags().StringVar(&dir, "data", "", "with --memory: an activated KMS host data directory (its history grows)")
	cmd.Flags().StringVar(&totals, "totals", "10000,100000,1000000", "with --memory: distinct clients after which memory is read")
	cmd.Flags().IntVar(&workers, "workers", 256, "with --memory: concurrent submitters")
	cmd.Flags().BoolVar(&markdown, "markdown", false, "print the table as Markdown")
	return cmd
}

// benchLevel is what one concurrency level measured: the floor (with
// --floor) and the host.
type benchLevel struct {
	Floor *kmsbench.BenchResult `json:"floor,omitempty"`
	Host  kmsbench.BenchResult  `json:"host"`
}

// benchRows is the table of a load run: the host's figures, or the
// floor's and the host's side by side with their ratios; with cpu, the
// servers' CPU time per request next to their requests/s.
func benchRows(out []benchLevel, cpu bool) (header []string, rows [][]string) {
	compare := len(out) > 0 && out[0].Floor != nil
	for _, l := range out {
		r, fl := l.Host, l.Floor
		row := []string{strconv.Itoa(r.Clients)}
		switch {
		case !compare:
			header = []string{"CLIENTS", "REQUESTS", "REQ/S"}
			row = append(row, strconv.Itoa(r.Requests), fmt.Sprintf("%.0f", r.PerSecond))
			if cpu {
				header = append(header, "CPU/REQ")
				row = append(row, benchCPU(r))
			}
			header = append(header, "P50", "P99", "P999", "ERRORS")
			row = append(row, benchMS(r.P50), benchMS(r.P99), benchMS(r.P999), strconv.Itoa(r.Errors))
		default:
			header = []string{"CLIENTS", "FLOOR REQ/S", "HOST REQ/S", "REQ/S RATIO"}
			row = append(row, fmt.Sprintf("%.0f", fl.PerSecond), fmt.Sprintf("%.0f", r.PerSecond), benchRatio(r.PerSecond, fl.PerSecond))
			if cpu {
				header = append(header, "FLOOR CPU/REQ", "HOST CPU/REQ", "CPU RATIO")
				fc, fok := fl.CPUPerRequest()
				hc, hok := r.CPUPerRequest()
				ratio := "n/a"
				if fok && hok {
					ratio = benchRatio(float64(hc), float64(fc))
				}
				row = append(row, benchCPU(*fl), benchCPU(r), ratio)
			}
			header = append(header, "FLOOR P50", "HOST P50", "FLOOR P99", "HOST P99", "P99 RATIO", "FLOOR P999", "HOST P999", "ERRORS")
			row = append(row, benchMS(fl.P50), benchMS(r.P50), benchMS(fl.P99), benchMS(r.P99),
				benchRatio(float64(r.P99), float64(fl.P99)), benchMS(fl.P999), benchMS(r.P999), strconv.Itoa(r.Errors+fl.Errors))
		}
		rows = append(rows, row)
	}
	return header, rows
}

// benchCPU is a server's CPU time per request in µs, or n/a where it was
// not measured.
func benchCPU(r kmsbench.BenchResult) string {
	d, ok := r.CPUPerRequest()
	if !ok {
		return "n/a"
	}
	return fmt.Sprintf("%.1fµs", float64(d)/float64(time.Microsecond))
}

// serveBenchFloor serves the bench's floor, signing or not, until ctx ends.
func serveBenchFloor(ctx context.Context, listen, addrFile string, noSign bool) error {
	ln, err := httpserve.Listen(listen)
	if err != nil {
		return err
	}
	if err := writeAddrFile(addrFile, ln.Addr().String(), ln); err != nil {
		return err
	}
	name, _ := os.Hostname()
	return kmsbench.ServeFloor(ctx, ln, kmsbench.FloorOptions{Issuer: name, NoSign: noSign})
}

// benchMemory runs kms bench --memory.
func benchMemory(ctx context.Context, f *cmdutil.Factory, dir, sku, totals string, workers int, markdown bool) error {
	if dir == "" {
		return &cmdutil.UsageError{Err: fmt.Errorf("kms bench --memory: give --data DIR, an activated host data directory")}
	}
	ns, err := benchInts("--totals", totals, 100_000_000)
	if err != nil {
		return err
	}
	var points []kmsbench.MemoryPoint
	err = kmsbench.MemoryBench(ctx, dir, sku, ns, workers, func(p kmsbench.MemoryPoint) {
		points = append(points, p)
		if !f.Opts.JSON && !markdown {
			fmt.Fprintf(f.IO.ErrOut, "%d clients: RSS %s\n", p.Clients, benchMiB(p.RSS))
		}
	})
	if err != nil {
		return err
	}
	size, err := kms.ReadLogSize(dir) // the log on disk per leaf (issue 12, item 8)
	if err != nil {
		return err
	}
	if f.Opts.JSON {
		cmdutil.WriteJSON(f.IO.Out, map[string]any{"memory": points, "log": size})
		return nil
	}
	rows := [][]string{}
	for _, p := range points {
		rows = append(rows, []string{strconv.Itoa(p.Clients), benchMiB(p.RSS), benchMiB(p.Peak), benchMiB(p.Heap), fmt.Sprintf("%.1f", p.Seconds)})
	}
	if err := benchTable(f, markdown, []string{"DISTINCT CLIENTS", "RSS", "PEAK RSS", "GO HEAP", "SECONDS"}, rows); err != nil {
		return err
	}
	lb, hb, tb := size.PerLeaf()
	fmt.Fprintf(f.IO.Out, "\nTransparency log on disk: %d leaves, %s (log file %.1f B/leaf, hashes %.1f B/leaf, total %.1f B/leaf)\n",
		size.Leaves, benchMiB(uint64(size.LogBytes+size.HashesBytes)), lb, hb, tb)
	return nil
}

// intList reads a comma-separated list of numbers from 1 to most.
func benchInts(flag, s string, most int) ([]int, error) {
	var out []int
	for _, c := range strings.Split(s, ",") {
		n, err := strconv.Atoi(strings.TrimSpace(c))
		if err != nil || n < 1 || n > most {
			return nil, cmdutil.Invalidf("%s %q: want numbers from 1 to %d separated by commas", flag, s, most)
		}
		out = append(out, n)
	}
	return out, nil
}

// benchTable prints a result table, as Markdown when asked.
func benchTable(f *cmdutil.Factory, markdown bool, header []string, rows [][]string) error {
	if !markdown {
		return cmdutil.PrintTable(f.IO, header, rows)
	}
	line := func(cells []string) { fmt.Fprintf(f.IO.Out, "| %s |\n", strings.Join(cells, " | ")) }
	line(header)
	sep := make([]string, len(header))
	for i := range sep {
		sep[i] = "---:"
	}
	line(sep)
	for _, r := range rows {
		line(r)
	}
	return nil
}

func benchMS(d time.Duration) string {
	return fmt.Sprintf("%.2fms", float64(d)/float64(time.Millisecond))
}

func benchMiB(b uint64) string {
	if b == 0 {
		return "?"
	}
	return fmt.Sprintf("%.1f MiB", float64(b)/(1<<20))
}

func benchRatio(a, b float64) string {
	if b == 0 {
		return "?"
	}
	return fmt.Sprintf("%.2f", a/b)
}
