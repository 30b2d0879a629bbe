package main

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"time"

	"github.com/fatih/color"
	"github.com/mattn/go-isatty"
	"github.com/olekukonko/tablewriter"
)

// demo runs the volact and volactd binaries as real processes and keeps
// score.
type demo struct {
	ctx    context.Context
	bin    string // volact; volactd is next to it
	work   string
	procs  []*exec.Cmd
	failed int
	steps  [][]string // step, expected, got, ok
	tty    bool
}

func newDemo(ctx context.Context, bin, work string) *demo {
	tty := isatty.IsTerminal(os.Stdout.Fd()) && os.Getenv("NO_COLOR") == ""
	return &demo{ctx: ctx, bin: bin, work: work, tty: tty}
}

// machine is one simulated client: its own store and machine id.
type machine struct {
	name string
	env  []string
}

func (d *demo) machine(name string) machine {
	return machine{name: name, env: []string{
		"VOLACT_STORE=" + filepath.Join(d.work, "clients", name),
		"VOLACT_MACHINE_ID=demo-" + name,
	}}
}

// result of one volact invocation.
type result struct {
	code   int
	stdout string
	stderr string
}

// run runs volact with env (added to a clean base) and args.
func (d *demo) run(env []string, args ...string) result {
	cmd := exec.CommandContext(d.ctx, d.program(args), args...)
	cmd.Env = append(baseEnv(), env...)
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	err := cmd.Run()
	r := result{stdout: out.String(), stderr: errb.String()}
	var ee *exec.ExitError
	switch {
	case errors.As(err, &ee):
		r.code = ee.ExitCode()
	case err != nil:
		r.code = -1
		r.stderr += err.Error()
	}
	return r
}

// program is the binary for args: volactd for the server verbs (kms, mak),
// volact for the client's.
func (d *demo) program(args []string) string {
	if len(args) > 0 && (args[0] == "kms" || args[0] == "mak") {
		return filepath.Join(filepath.Dir(d.bin), "volactd"+filepath.Ext(d.bin))
	}
	return d.bin
}

func baseEnv() []string {
	keep := []string{"PATH", "HOME", "TMPDIR", "SYSTEMROOT"}
	env := []string{"NO_COLOR=1", "TZ=UTC"}
	for _, k := range keep {
		if v, ok := os.LookupEnv(k); ok {
			env = append(env, k+"="+v)
		}
	}
	return env
}

// expect runs volact and records whether it exited with want.
func (d *demo) expect(step string, want int, env []string, args ...string) result {
	r := d.run(env, args...)
	ok := r.code == want
	got := fmt.Sprintf("exit %d", r.code)
	if code := errorCode(r); code != "" {
		got += " " + code
	}
	d.record(step, fmt.Sprintf("exit %d", want), got, ok)
	if !ok {
		fmt.Fprintf(os.Stderr, "demo: step %q: %s %s\n%s%s", step, filepath.Base(d.program(args)), strings.Join(args, " "), r.stdout, r.stderr)
	}
	return r
}

// check records a condition that is not an exit status.
func (d *demo) check(step, want, got string) {
	d.record(step, want, got, want == got)
}

func (d *demo) record(step, want, got string, ok bool) {
	mark := "ok"
	if !ok {
		mark = "FAIL"
		d.failed++
	}
	d.steps = append(d.steps, []string{step, want, got, mark})
	line := fmt.Sprintf("  %-4s %s (%s)", mark, step, got)
	if d.tty {
		if ok {
			line = color.GreenString(line)
		} else {
			line = color.RedString(line)
		}
	}
	fmt.Println(line)
}

// errorCode finds the 0x... code in an answer, if any.
func errorCode(r result) string {
	for _, s := range []string{r.stderr, r.stdout} {
		if i := strings.Index(s, "(0x"); i >= 0 && len(s) >= i+12 {
			return s[i+1 : i+11]
		}
	}
	return ""
}

// start runs a volact server in the background; it writes its URL to an
// address file, which start waits for (at most 15s).
func (d *demo) start(name string, env []string, args ...string) (string, error) {
	addrFile := filepath.Join(d.work, name+".addr")
	_ = os.Remove(addrFile)
	cmd := exec.Command(d.program(args), append(args, "--addr-file", addrFile)...)
	cmd.Env = append(baseEnv(), env...)
	logf, err := os.Create(filepath.Join(d.work, name+".log"))
	if err != nil {
		return "", err
	}
	cmd.Stdout, cmd.Stderr = logf, logf
	cmd.SysProcAttr = sysProcAttr()
	if err := cmd.Start(); err != nil {
		return "", fmt.Errorf("start %s: %w", name, err)
	}
	d.procs = append(d.procs, cmd)
	deadline := time.Now().Add(15 * time.Second)
	for time.Now().Before(deadline) {
		if b, err := os.ReadFile(addrFile); err == nil && len(bytes.TrimSpace(b)) > 0 {
			return strings.TrimSpace(string(b)), nil
		}
		if d.ctx.Err() != nil {
			return "", d.ctx.Err()
		}
		time.Sleep(20 * time.Millisecond)
	}
	log, _ := os.ReadFile(logf.Name())
	return "", fmt.Errorf("%s did not start within 15s:\n%s", name, log)
}

// stop ends one server gracefully (SIGTERM, then SIGKILL after 5s).
func (d *demo) stop(cmd *exec.Cmd) {
	if cmd == nil || cmd.Process == nil || cmd.ProcessState != nil {
		return
	}
	_ = cmd.Process.Signal(syscall.SIGTERM)
	done := make(chan struct{})
	go func() { _ = cmd.Wait(); close(done) }()
	select {
	case <-done:
	case <-time.After(5 * time.Second):
		_ = cmd.Process.Kill()
		<-done
	}
}

func (d *demo) stopAll() {
	for _, p := range d.procs {
		d.stop(p)
	}
	d.procs = nil
}

func (d *demo) summary(took time.Duration) {
	fmt.Printf("\nSummary (%d steps, %d failed, %.1fs)\n", len(d.steps), d.failed, took.Seconds())
	t := tablewriter.NewWriter(os.Stdout)
	t.Header("STEP", "EXPECTED", "GOT", "RESULT")
	_ = t.Bulk(d.steps)
	_ = t.Render()
}
