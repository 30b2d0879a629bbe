package ledger

import (
	"context"
	"testing"

	"github.com/volact/volact/internal/hresult"
	"github.com/volact/volact/internal/machineid"
)

// TestActivateMAKClones: machines that share a hardware id are told apart
// by their identity sources. The machine itself, with a replaced network
// card, activates again for nothing; a clone that kept only the hardware
// id (machine-id) spends an activation of its own and is then known as
// instance 2; with none left it is refused. A client without sources is
// known by the hardware id alone.
func TestActivateMAKClones(t *testing.T) {
	src := func(uuid, mac string) []machineid.Source {
		return []machineid.Source{
			{Name: machineid.SourceMachineID, Digests: []string{"11111111111111111111111111111111"}},
			{Name: machineid.SourceDMIProductUUID, Digests: []string{uuid}},
			{Name: machineid.SourceMACs, Digests: []string{mac}},
		}
	}
	const (
		uuid1, mac1 = "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa", "bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb"
		uuid2, mac2 = "cccccccccccccccccccccccccccccccc", "dddddddddddddddddddddddddddddddd"
		newMAC      = "eeeeeeeeeeeeeeeeeeeeeeeeeeeeeeee"
	)
	steps := []struct {
		name     string
		sources  []machineid.Source
		spent    bool
		used     int
		instance int
		code     hresult.Code
	}{
		{"the machine", src(uuid1, mac1), true, 1, 1, 0},
		{"the machine again", src(uuid1, mac1), false, 1, 1, 0},
		{"a replaced network card", src(uuid1, newMAC), false, 1, 1, 0},
		{"a clone with the same machine-id", src(uuid2, mac2), true, 2, 2, 0},
		{"the clone again", src(uuid2, mac2), false, 2, 2, 0},
		{"the machine after its card change", src(uuid1, newMAC), false, 2, 1, 0},
		{"a client without sources", nil, false, 2, 1, 0},
		{"a third clone, none left", src("ffffffffffffffffffffffffffffffff", "00000000000000000000000000000000"), false, 0, 0, hresult.KeyExhausted},
	}
	eachBackend(t, func(t *testing.T, dsn string) {
		l := open(t, dsn)
		k := makKey("key-clone", 2)
		for _, s := range steps {
			res, err := l.ActivateMAK(context.Background(), k, Installation{ID: "hw-1/ent", Sources: s.sources}, now)
			if s.code != 0 {
				wantErr(t, err, s.code, "MAK ...CLONE has no activations left (2 of 2 used)")
				continue
			}
			if err != nil {
				t.Fatalf("%s: %v", s.name, err)
			}
			if want := (ActivateResult{Spent: s.spent, Used: s.used, Limit: 2, Instance: s.instance}); res != want {
				t.Fatalf("%s: got %+v, want %+v", s.name, res, want)
			}
		}
		wantStatus(t, l, k, KeyStatus{Used: 2, Limit: 2, Remaining: 0, Activations: 2})
	})
}

func TestSameMachine(t *testing.T) {
	cur := []machineid.Source{{Name: "machine-id", Digests: []string{"11111111111111111111111111111111"}}}
	for _, tc := range []struct {
		name     string
		recorded string
		current  []machineid.Source
		want     bool
	}{
		{"recorded before sources were", "", cur, true},
		{"a client without sources", `[{"name":"machine-id","digests":["22222222222222222222222222222222"]}]`, nil, true},
		{"same source", `[{"name":"machine-id","digests":["11111111111111111111111111111111"]}]`, cur, true},
		{"other source", `[{"name":"machine-id","digests":["22222222222222222222222222222222"]}]`, cur, false},
		{"an unreadable record", `{not json`, cur, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := sameMachine(tc.recorded, tc.current); got != tc.want {
				t.Errorf("sameMachine = %v, want %v", got, tc.want)
			}
		})
	}
}
