package trueup

import (
	"bufio"
	"encoding/base64"
	"fmt"
	"io"
	"strings"

	"github.com/volact/volact/internal/translog"
)

// Summary is the true-up of a log up to its newest checkpoint, as a
// server computes it from its own log (translog.Log.Export): what a KMS
// host reports to the activation service (volactd kms report).
type Summary struct {
	Size       int64  // leaves read, the tree size of Checkpoint
	Checkpoint []byte // the newest signed checkpoint note in the export
	TrueUp
}

// Summarize reads a log export as translog.Log.Export writes it (not a
// ledger export: no certificate lines) and returns the true-up of its
// leaves, with the same rules as [Verify]. It checks no signature and no
// hash: it is for a server reading its own log. The export must end with
// a checkpoint covering every leaf (Export writes it so).
func Summarize(r io.Reader) (Summary, error) {
	sc := bufio.NewScanner(r)
	sc.Buffer(nil, 2*translog.MaxLeafSize)
	if !sc.Scan() || sc.Text() != translog.ExportHeader {
		return Summary{}, fmt.Errorf("trueup: not a log export (want %q on the first line)", translog.ExportHeader)
	}
	t := newTally()
	var s Summary
	var leaves int64
	for sc.Scan() {
		kind, data, ok := strings.Cut(sc.Text(), " ")
		if !ok || kind != "leaf" && kind != "checkpoint" {
			return Summary{}, fmt.Errorf("trueup: log export line %d: want leaf or checkpoint", leaves+2)
		}
		b, err := base64.StdEncoding.DecodeString(data)
		if err != nil {
			return Summary{}, fmt.Errorf("trueup: log export: %s is not base64", kind)
		}
		if kind == "checkpoint" {
			s.Checkpoint, s.Size = b, leaves
			continue
		}
		leaves++
		t.add(b)
	}
	if err := sc.Err(); err != nil {
		return Summary{}, fmt.Errorf("trueup: reading log export: %w", err)
	}
	if leaves != s.Size {
		return Summary{}, fmt.Errorf("trueup: log export ends with %d leaves after its last checkpoint", leaves-s.Size)
	}
	s.TrueUp = t.report()
	return s, nil
}
