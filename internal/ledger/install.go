package ledger

import (
	"context"
	"encoding/json"
	"strconv"

	"github.com/volact/volact/internal/machineid"
)

// Installation is what a MAK activation is for: one product on one
// machine.
type Installation struct {
	// ID is the hardware id and the SKU ("<hardware id>/<sku>").
	ID string
	// Sources are the machine's identity sources as the client sent them;
	// nil for a client that sends none, which is then known by ID alone.
	Sources []machineid.Source
}

// maxInstances bounds the machines that share one installation id on one
// key (each of them spent an activation, so a key's limit bounds them
// first).
const maxInstances = 1 << 16

// instanceID is the install_id of the n-th machine (1-based) that
// activated a key with installation id id: id itself for the first, then
// id#2, id#3, ...
func instanceID(id string, n int) string {
	if n == 1 {
		return id
	}
	return id + "#" + strconv.Itoa(n)
}

// findInstance returns which machine among those that activated key k
// with in's installation id in is: the first whose recorded sources in's
// sources still match (machineid's tolerance: a replaced network card
// matches, a clone that kept only the hardware id does not), found true;
// else found false and the instance number a new activation takes.
func findInstance(ctx context.Context, q querier, k KeyRef, in Installation) (n int, found bool, err error) {
	for n = 1; n <= maxInstances; n++ {
		var recorded string
		err := q.queryRow(ctx, `SELECT sources FROM activations WHERE key_id = $1 AND install_id = $2`,
			k.ID, instanceID(in.ID, n)).Scan(&recorded)
		if err == errNoRows {
			return n, false, nil
		}
		if err != nil {
			return 0, false, err
		}
		if sameMachine(recorded, in.Sources) {
			return n, true, nil
		}
	}
	return n, false, nil
}

// sameMachine reports whether a request with sources current comes from
// the machine whose sources were recorded (as JSON): always when either
// side has none (a client without sources, or an activation recorded
// before sources were), else when at least half of the recorded sources
// still match.
func sameMachine(recorded string, current []machineid.Source) bool {
	if recorded == "" || len(current) == 0 {
		return true
	}
	var rec []machineid.Source
	if err := json.Unmarshal([]byte(recorded), &rec); err != nil || len(rec) == 0 {
		return true // an unreadable record binds to the hardware id, as before sources
	}
	return machineid.Identity{Sources: rec}.Match(machineid.Identity{Sources: current}).OK
}

// sourcesText is the stored form of sources: JSON, or "" for none.
func sourcesText(sources []machineid.Source) string {
	if len(sources) == 0 {
		return ""
	}
	b, err := json.Marshal(sources)
	if err != nil {
		return ""
	}
	return string(b)
}
