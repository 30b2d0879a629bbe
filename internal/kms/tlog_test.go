package kms_test

import (
	"context"
	"fmt"
	"testing"

	"github.com/volact/volact/internal/protocol"
)

// TestAnswersAreLogged checks that every counted request is a leaf (the
// four refusals below the threshold too), that grants carry receipts and
// the consistency proof from the size the client names, and that the log
// keeps its tree across a restart.
func TestAnswersAreLogged(t *testing.T) {
	f := newFixture(t)
	for i := range 5 {
		f.activate(t, fmt.Sprintf("c%d", i), "suite-pro")
	}
	r := req("c9", "suite-pro", f.clk.Now())
	env, err := f.h.Activate(context.Background(), r, "127.0.0.1")
	if err != nil {
		t.Fatal(err)
	}
	cert, err := protocol.Open(*env, f.a.Public(), f.clk.Now(), nil)
	if err != nil {
		t.Fatal(err)
	}
	tree, err := protocol.Tree(*env, cert)
	if err != nil {
		t.Fatal(err)
	}
	if tree.Size != 6 || env.Receipt.Index != 5 || env.Signature != "" {
		t.Fatalf("sixth answer: index %d in a tree of %d (signature %q), want 5 of 6, unsigned", env.Receipt.Index, tree.Size, env.Signature)
	}
	f.reopen(t)
	r = req("c10", "suite-pro", f.clk.Now())
	r.KnownTrees = map[string]int64{tree.Origin: tree.Size, "volact-kms/other": 3}
	env, err = f.h.Activate(context.Background(), r, "127.0.0.1")
	if err != nil {
		t.Fatal(err)
	}
	newer, err := protocol.Tree(*env, cert)
	if err != nil {
		t.Fatal(err)
	}
	if env.Consistency == nil || env.Consistency.From != 6 {
		t.Fatalf("consistency %+v, want a proof from 6", env.Consistency)
	}
	if err := protocol.CheckExtends(tree, newer, env.Consistency); err != nil {
		t.Fatalf("the tree after a restart does not extend the one before: %v", err)
	}
	if newer.Size != 7 {
		t.Fatalf("tree after a restart has %d leaves, want 7", newer.Size)
	}
}
