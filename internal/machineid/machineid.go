// Package machineid derives the hardware id that activations are bound to.
//
// The id is a hash of the operating system's machine identifier (or of
// VOLACT_MACHINE_ID, for containers and tests), so the raw identifier never
// leaves the machine.
package machineid

import (
	"crypto/sha256"
	"encoding/hex"
	"strings"

	"github.com/volact/volact/internal/hresult"
)

// ID returns the hardware id: 32 hex characters. override, when not empty,
// replaces the OS identifier (VOLACT_MACHINE_ID).
func ID(override string) (string, error) {
	raw := strings.TrimSpace(override)
	if raw == "" {
		var err error
		raw, err = osMachineID()
		if err != nil || strings.TrimSpace(raw) == "" {
			return "", hresult.Wrap(hresult.Internal, err, "cannot read this machine's id").
				WithHint("set VOLACT_MACHINE_ID to a stable, unique value for this machine")
		}
	}
	sum := sha256.Sum256([]byte("volact hardware id v1\x00" + strings.TrimSpace(raw)))
	return hex.EncodeToString(sum[:16]), nil
}
