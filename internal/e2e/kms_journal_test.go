package e2e_test

import (
	"bytes"
	"context"
	"database/sql"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	_ "modernc.org/sqlite" // to hold kms.db's write lock

	"github.com/volact/volact/internal/kms"
	"github.com/volact/volact/internal/kms/kmstest"
)

// TestKMSJournalDamage answers requests with `volactd kms serve` while
// another process holds kms.db's write lock, so that they stay in the
// journal; kills the host with SIGKILL, damages the middle of the journal
// segment, and starts the host again. The records before the damage are
// kept, the segment is moved aside (journal-N.log.damaged), the host logs
// what it could not read, and status and /metrics count it. A refused
// request is a counter in /metrics, not a history row.
func TestKMSJournalDamage(t *testing.T) {
	needKill(t)
	now := time.Now().UTC()
	dir := kmstest.ActivatedDir(t, kmstest.Authority(t, now), now, "server-std")
	serve := []string{"kms", "serve", "--data", dir, "--listen", "127.0.0.1:0", "--name", "kms-damage"}
	p := startServe(t, nil, serve...)

	db, err := sql.Open("sqlite", "file:"+filepath.Join(dir, kms.DBFile)+"?_pragma=busy_timeout(5000)")
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	conn, err := db.Conn(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if _, err := conn.ExecContext(context.Background(), "BEGIN IMMEDIATE"); err != nil {
		t.Fatal(err)
	}
	const sent = 40
	url := "http://" + p.addr + "/v1/kms/activate"
	for i := range sent {
		status, body, err := postJSON(http.DefaultClient, url, kmsRequest(fmt.Sprintf("dmg-%03d", i)))
		if err != nil || (status != http.StatusOK && status != http.StatusConflict) {
			t.Fatalf("request %d: HTTP %d %v %s", i, status, err, body)
		}
	}
	p.kill()
	conn.ExecContext(context.Background(), "ROLLBACK")
	conn.Close()
	db.Close()

	seg, used := biggestSegment(t, dir)
	if used == 0 {
		t.Fatal("no journal segment holds the requests")
	}
	data, _ := os.ReadFile(seg)
	data[used/2] ^= 0xFF // one byte: exactly one record is damaged
	if err := os.WriteFile(seg, data, 0o600); err != nil {
		t.Fatal(err)
	}

	p = startServe(t, nil, serve...)
	url = "http://" + p.addr + "/v1/kms/activate"
	logs := p.logs.String()
	if !strings.Contains(logs, "journal segment is damaged") || !strings.Contains(logs, "bytes_lost=") {
		t.Errorf("the host did not say what it could not read:\n%s", p.logs.String())
	}
	if _, err := os.Stat(seg + ".damaged"); err != nil {
		t.Errorf("the damaged segment was not moved aside: %v", err)
	}
	bad := kmsRequest("dmg-unknown")
	bad.SKU = "no-such-sku"
	if status, _, err := postJSON(http.DefaultClient, url, bad); err != nil || status == http.StatusOK {
		t.Fatalf("unknown SKU: HTTP %d %v", status, err)
	}
	metrics := get(t, "http://"+p.addr+"/metrics")
	for _, want := range []string{`volact_kms_journal_damaged_segments_total 1`, `volact_kms_refused_total{reason="unknown_product"} 1`, "volact_kms_journal_lost_bytes_total ", "volact_kms_journal_lost_records_total "} {
		if !strings.Contains(metrics, want) {
			t.Errorf("/metrics lacks %q", want)
		}
	}
	p.kill()

	var st kms.Status
	volactJSON(t, nil, &st, "kms", "status", "--data", dir, "--json")
	if st.Journal.Segments != 1 || st.Journal.Bytes <= 0 || st.Journal.Records <= 0 {
		t.Errorf("status journal = %+v, want 1 damaged segment, records and bytes lost", st.Journal)
	}
	if len(st.Refused) != 1 || st.Refused[0].Reason != kms.RefusedUnknownProduct || st.Refused[0].Count != 1 {
		t.Errorf("status refused = %+v, want one unknown_product", st.Refused)
	}
	var hist struct{ History []kms.HistoryRow }
	volactJSON(t, nil, &hist, "kms", "history", "--data", dir, "--format", "json")
	if n := len(hist.History); n == 0 || n >= sent {
		t.Errorf("history has %d rows after the damage, want the records before it (1..%d)", n, sent-1)
	} else if int64(n)+st.Journal.Records != sent {
		t.Errorf("history has %d rows and status says %d records lost, want them to add up to the %d requests answered", n, st.Journal.Records, sent)
	}
	if want := fmt.Sprintf("records_lost=%d", st.Journal.Records); !strings.Contains(logs, want) {
		t.Errorf("the host's log does not say %s:\n%s", want, logs)
	}
	for _, r := range hist.History {
		if r.SKU == "no-such-sku" {
			t.Errorf("a refused request is a history row: %+v", r)
		}
	}
}

// biggestSegment returns the journal segment in dir with the most records
// and the length of its content up to its last non-zero byte.
func biggestSegment(t *testing.T, dir string) (string, int) {
	t.Helper()
	paths, _ := filepath.Glob(filepath.Join(dir, "journal-*.log"))
	best, used := "", 0
	for _, p := range paths {
		data, err := os.ReadFile(p)
		if err != nil {
			t.Fatal(err)
		}
		if n := len(bytes.TrimRight(data, "\x00")); n > used {
			best, used = p, n
		}
	}
	return best, used
}

// get returns the body of a GET of url.
func get(t *testing.T, url string) string {
	t.Helper()
	resp, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return string(b)
}
