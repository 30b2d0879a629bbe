package translog

import (
	"bufio"
	"encoding/base64"
	"fmt"
	"io"
	"strings"

	"golang.org/x/mod/sumdb/note"
	"golang.org/x/mod/sumdb/tlog"
)

// ExportHeader is the first line of an export.
const ExportHeader = "volact-translog export v1"

// maxExportLine bounds a line of an export: a leaf of MaxLeafSize bytes
// in base64 and its prefix.
const maxExportLine = 16 + (MaxLeafSize+2)/3*4

// Export writes the whole log as of its newest checkpoint to w, in a
// self-contained text form an auditor checks with [VerifyExport]:
//
//	volact-translog export v1
//	leaf <base64 of the leaf bytes>
//	...
//	checkpoint <base64 of the signed checkpoint note>
//	leaf ...
//
// in the order they were written: each batch's leaves, then the
// checkpoint covering them. Every checkpoint the log signed is there.
// Appends may continue meanwhile; they are not included.
func (l *Log) Export(w io.Writer) error {
	if err := l.checkSize(0); err != nil {
		return err
	}
	l.state.RLock()
	end := l.state.end
	l.state.RUnlock()
	bw := bufio.NewWriterSize(w, 1<<16)
	fmt.Fprintln(bw, ExportHeader)
	r := bufio.NewReaderSize(io.NewSectionReader(l.f, recordsStart, end-recordsStart), 1<<16)
	enc := base64.NewEncoder(base64.StdEncoding, bw)
	var buf []byte
	for {
		typ, payload, b, _, err := readRecord(r, buf)
		buf = b
		if err == io.EOF {
			break
		}
		if err != nil {
			return fmt.Errorf("translog: exporting: %w", err)
		}
		if typ == typeLeaf {
			bw.WriteString("leaf ")
		} else {
			bw.WriteString("checkpoint ")
		}
		enc.Write(payload)
		enc.Close() // flushes the partial block; enc is reusable
		if err := bw.WriteByte('\n'); err != nil {
			return fmt.Errorf("translog: exporting: %w", err)
		}
	}
	if err := bw.Flush(); err != nil {
		return fmt.Errorf("translog: exporting: %w", err)
	}
	return nil
}

// A Report summarises a verified export.
type Report struct {
	Leaves      int64      // leaves in the export
	Checkpoints int        // checkpoints in the export, all verified
	Latest      Checkpoint // the newest checkpoint; zero if none
	LatestNote  []byte     // its signed note
}

// An ExportError says where an export fails to verify.
type ExportError struct {
	Line       int   // line of the export, from 1
	Checkpoint int   // index of the checkpoint at fault, from 0; -1 if none
	FirstLeaf  int64 // the first leaf that may be bad; -1 if none
	EndLeaf    int64 // the bad leaf is before EndLeaf
	Reason     string
	Err        error // ErrFork when leaves and checkpoints disagree
}

// Error implements error.
func (e *ExportError) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "translog: export line %d", e.Line)
	if e.Checkpoint >= 0 {
		fmt.Fprintf(&b, ", checkpoint %d", e.Checkpoint)
	}
	if e.FirstLeaf >= 0 {
		if e.EndLeaf == e.FirstLeaf+1 {
			fmt.Fprintf(&b, ", leaf %d", e.FirstLeaf)
		} else {
			fmt.Fprintf(&b, ", leaves %d to %d", e.FirstLeaf, e.EndLeaf-1)
		}
	}
	b.WriteString(": " + e.Reason)
	return b.String()
}

// Unwrap returns the cause.
func (e *ExportError) Unwrap() error { return e.Err }

// VerifyExport reads an export written by [Log.Export] and checks it
// with v: every checkpoint's signature and origin, and that each
// checkpoint's size and root are those of the leaves before it. Since
// every root is recomputed from the one sequence of leaves, consecutive
// checkpoints are consistent. A deleted, edited, inserted or reordered
// leaf fails at the first checkpoint after it, and the error (an
// *ExportError) names the leaves since the checkpoint before; a
// checkpoint signed by another key fails at that checkpoint. Leaves after
// the last checkpoint are an error. A checkpoint left out changes no tree
// and is not found here: compare the export with the checkpoints clients
// hold ([Report.LatestNote] must extend them). It holds no leaves in
// memory.
func VerifyExport(r io.Reader, v note.Verifier) (Report, error) {
	var rep Report
	sc := bufio.NewScanner(r)
	sc.Buffer(nil, maxExportLine+1)
	line := 0
	fail := func(ckpt int, first, end int64, err error, format string, args ...any) (Report, error) {
		return rep, &ExportError{Line: line, Checkpoint: ckpt, FirstLeaf: first, EndLeaf: end,
			Reason: fmt.Sprintf(format, args...), Err: err}
	}
	if !sc.Scan() || sc.Text() != ExportHeader {
		line = 1
		if err := sc.Err(); err != nil {
			return fail(-1, -1, -1, err, "reading: %v", err)
		}
		return fail(-1, -1, -1, nil, "not a volact transparency log export (want %q)", ExportHeader)
	}
	line = 1
	front := &frontier{}
	var covered int64 // size of the last verified checkpoint
	for sc.Scan() {
		line++
		kind, data, ok := strings.Cut(sc.Text(), " ")
		raw, err := base64.StdEncoding.Strict().DecodeString(data)
		if !ok || err != nil {
			return fail(-1, -1, -1, nil, "want \"leaf <base64>\" or \"checkpoint <base64>\"")
		}
		switch kind {
		case "leaf":
			if len(raw) > MaxLeafSize {
				return fail(-1, front.n, front.n+1, nil, "leaf of %d bytes exceeds %d", len(raw), MaxLeafSize)
			}
			if _, err := front.add(tlog.RecordHash(raw)); err != nil {
				return fail(-1, front.n, front.n+1, err, "%v", err)
			}
		case "checkpoint":
			k := rep.Checkpoints
			c, err := OpenCheckpoint(raw, v)
			if err != nil {
				return fail(k, -1, -1, err, "%v", err)
			}
			if c.Size != front.n {
				return fail(k, covered, max(c.Size, front.n), ErrFork,
					"signed for %d leaves but %d precede it: leaves deleted, inserted or moved", c.Size, front.n)
			}
			root, err := front.root()
			if err != nil {
				return fail(k, -1, -1, err, "%v", err)
			}
			if c.Hash != root {
				return fail(k, covered, c.Size, ErrFork,
					"root does not match the leaves: a leaf was edited or the leaves were reordered")
			}
			rep.Checkpoints++
			rep.Latest, rep.LatestNote, covered = c, raw, c.Size
		default:
			return fail(-1, -1, -1, nil, "unknown line kind %q", kind)
		}
	}
	if err := sc.Err(); err != nil {
		line++
		return fail(-1, -1, -1, err, "reading: %v", err)
	}
	rep.Leaves = front.n
	if front.n > covered {
		return fail(-1, covered, front.n, ErrFork, "leaves after the last checkpoint (size %d): none may follow it", covered)
	}
	return rep, nil
}
