package servercli

import (
	"fmt"
	"io"
	"sync/atomic"
	"time"

	"github.com/schollz/progressbar/v3"
	"github.com/volact/volact/internal/cmdutil"
)

// progress is a progress bar on stderr, or nothing at all: every method is a
// no-op when stderr is not a terminal or -q was given, so piped and scripted
// runs stay silent. Its methods are safe for concurrent use.
type progress struct {
	bar     *progressbar.ProgressBar
	spinner bool // total unknown: the bar redraws itself until finished
	done    atomic.Bool
}

// newProgress returns a bar counting total steps of what ("minting keys");
// total -1 shows a spinner with a running count instead.
func newProgress(ios *cmdutil.IOStreams, quiet bool, total int64, what string) *progress {
	return startProgress(ios, quiet, total, what, false)
}

// newByteProgress returns a spinner counting the bytes written through its
// Writer, for exports whose length is not known in advance.
func newByteProgress(ios *cmdutil.IOStreams, quiet bool, what string) *progress {
	return startProgress(ios, quiet, -1, what, true)
}

func startProgress(ios *cmdutil.IOStreams, quiet bool, total int64, what string, bytes bool) *progress {
	if quiet || !ios.IsStderrTTY() || total == 0 {
		return &progress{}
	}
	w := ios.ProgressOut() // the bar redraws with \r: unfiltered, fixed text only
	return &progress{spinner: total < 0, bar: progressbar.NewOptions64(total,
		progressbar.OptionSetWriter(w),
		progressbar.OptionSetDescription(what),
		progressbar.OptionSetWidth(30),
		progressbar.OptionShowCount(),
		progressbar.OptionShowBytes(bytes),
		progressbar.OptionSetElapsedTime(true),
		progressbar.OptionThrottle(65*time.Millisecond),
		progressbar.OptionSpinnerType(14),
		progressbar.OptionSetRenderBlankState(true),
		progressbar.OptionOnCompletion(func() { fmt.Fprintln(w) }),
	)}
}

// Add counts n more steps done.
func (p *progress) Add(n int) {
	if p.bar != nil {
		_ = p.bar.Add(n)
	}
}

// Describe replaces the text in front of the bar.
func (p *progress) Describe(what string) {
	if p.bar != nil && !p.done.Load() {
		p.bar.Describe(what)
	}
}

// Finish fills the bar, ends its line and stops it; call it once the work
// succeeded. Later calls do nothing.
func (p *progress) Finish() {
	if p.bar != nil && p.done.CompareAndSwap(false, true) {
		_ = p.bar.Finish()
	}
}

// Stop ends the bar's line where it is (the work failed or was cut short),
// so an error message starts on a line of its own.
func (p *progress) Stop() {
	if p.bar == nil || !p.done.CompareAndSwap(false, true) {
		return
	}
	if p.spinner {
		_ = p.bar.Finish() // the only way to stop a spinner's redrawing
	} else {
		_ = p.bar.Exit()
	}
}

// Writer returns w with every byte written through it counted as a step.
func (p *progress) Writer(w io.Writer) io.Writer {
	if p.bar == nil {
		return w
	}
	return &countingWriter{w: w, p: p}
}

type countingWriter struct {
	w io.Writer
	p *progress
}

func (c *countingWriter) Write(b []byte) (int, error) {
	n, err := c.w.Write(b)
	c.p.Add(n)
	return n, err
}
