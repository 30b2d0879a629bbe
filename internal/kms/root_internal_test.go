package kms

import (
	"context"
	"testing"

	"github.com/volact/volact/internal/hresult"
)

// kms.db records the first authority it is claimed for and refuses any
// other; a read-only open (claim false) records nothing.
func TestCheckRoot(t *testing.T) {
	const rootA, rootB = "sha256:aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa", "sha256:bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb"
	dir := t.TempDir()
	db, err := openDB(dbPath(dir), dbCreate)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	ctx := context.Background()
	for _, step := range []struct {
		name    string
		root    string
		claim   bool
		refused bool
	}{
		{"read-only open of an unclaimed database", rootB, false, false},
		{"first claim", rootA, true, false},
		{"same root", rootA, true, false},
		{"same root, read-only", rootA, false, false},
		{"another root", rootB, true, true},
		{"another root, read-only", rootB, false, true},
	} {
		err := checkRoot(ctx, db, dbPath(dir), step.root, step.claim)
		if step.refused {
			if he, ok := err.(*hresult.Error); !ok || he.Exit != hresult.ExitStore {
				t.Fatalf("%s: %v, want a refusal with exit 7", step.name, err)
			}
			continue
		}
		if err != nil {
			t.Fatalf("%s: %v", step.name, err)
		}
	}
}
