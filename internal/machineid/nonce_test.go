package machineid

import (
	"slices"
	"strings"
	"testing"
)

func TestNonceCommits(t *testing.T) {
	id := read(t, Options{Root: server.root(t)})
	n, err := id.Nonce()
	if err != nil {
		t.Fatal(err)
	}
	if !IsCommitment(n) || !id.Committed(n) || len(n) > 64 {
		t.Fatalf("nonce %q (len %d) does not commit to its identity", n, len(n))
	}
	if n2, _ := id.Nonce(); n2 == n {
		t.Error("two nonces are equal")
	}
	edits := map[string]func(*Identity){
		"digest replaced": func(i *Identity) { i.Sources[1].Digests = []string{strings.Repeat("0", 32)} },
		"source dropped":  func(i *Identity) { i.Sources = i.Sources[:len(i.Sources)-1] },
		"source renamed":  func(i *Identity) { i.Sources[2].Name = "macs2" },
		"MAC added":       func(i *Identity) { i.Sources[3].Digests = append(i.Sources[3].Digests, strings.Repeat("f", 32)) },
		"hardware id":     func(i *Identity) { i.HardwareID = strings.Repeat("a", 32) },
		"clone's sources": func(i *Identity) { *i = read(t, Options{Root: cloneOf(server).root(t)}) },
	}
	for name, edit := range edits {
		e := clone(id)
		edit(&e)
		if e.Committed(n) {
			t.Errorf("%s: still committed", name)
		}
	}
	for _, bad := range []string{"", "Zm9vYmFyYmF6cXV4cXV1eA", "i1.", "i1.abc.def", n + "x", strings.Replace(n, "i1.", "i2.", 1)} {
		if IsCommitment(bad) || id.Committed(bad) {
			t.Errorf("%q taken for a commitment", bad)
		}
	}
}

func clone(id Identity) Identity {
	out := Identity{HardwareID: id.HardwareID}
	for _, s := range id.Sources {
		out.Sources = append(out.Sources, Source{Name: s.Name, Digests: slices.Clone(s.Digests)})
	}
	return out
}
