package trueup_test

import (
	"bytes"
	"fmt"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/volact/volact/internal/trueup"
)

// TestSummarize: the summary of a log export (what a host reports) is the
// true-up Verify computes from the ledger export of the same log, with the
// newest checkpoint; a cut export is refused.
func TestSummarize(t *testing.T) {
	var leaves [][]byte
	for i := range 40 {
		leaves = append(leaves, grant(fmt.Sprint("m", i%25), t0.Add(time.Duration(i)*24*time.Hour)))
	}
	data, root := export(t, key(2), leaves)
	rep, err := trueup.Verify(bytes.NewReader(data), root)
	if err != nil {
		t.Fatal(err)
	}
	logPart := data[bytes.Index(data, []byte("volact-translog")):]
	s, err := trueup.Summarize(bytes.NewReader(logPart))
	if err != nil {
		t.Fatal(err)
	}
	if s.Size != 40 || string(s.Checkpoint) != rep.Checkpoint || !reflect.DeepEqual(s.Groups, rep.Groups) {
		t.Errorf("summary %d %+v, want 40 and %+v", s.Size, s.Groups, rep.Groups)
	}
	cut := logPart[:bytes.LastIndex(logPart, []byte("checkpoint "))]
	if _, err := trueup.Summarize(bytes.NewReader(cut)); err == nil || !strings.Contains(err.Error(), "after its last checkpoint") {
		t.Errorf("a cut export: %v", err)
	}
	if _, err := trueup.Summarize(strings.NewReader("nonsense\n")); err == nil {
		t.Error("not an export: no error")
	}
}
