package protocol

import (
	"crypto/sha256"
	"encoding/hex"
	"time"
)

// KindRefusal marks a [Refusal] leaf.
const KindRefusal = "refusal"

// Refusal is the leaf a server logs for a request it answered with a
// refusal that concerns a licence: a KMS count below the threshold (the
// client was counted), a MAK key exhausted or blocked. Grants are logged
// as their own payload; a refusal is logged as this small record. It
// never carries a full product key: the machine is a digest of its CMID
// (KMS) or hardware id (MAK), the key at most its last 5 characters.
type Refusal struct {
	Kind     string    `json:"kind"` // KindRefusal
	Time     time.Time `json:"time"`
	Machine  string    `json:"machine"` // MachineDigest
	SKU      string    `json:"sku"`
	Group    string    `json:"group,omitempty"`     // KMS counted group
	KeyLast5 string    `json:"key_last5,omitempty"` // MAK
	Result   string    `json:"result"`              // the error code, 0xC004F038
	Count    int       `json:"count"`               // KMS count; -1 when none
}

// MachineDigest is how a log names a machine without its id: "sha256:"
// and the first 16 bytes of the SHA-256 of id (a CMID for KMS, a hardware
// id for MAK), in hex. An auditor counts distinct machines by it.
func MachineDigest(id string) string {
	sum := sha256.Sum256([]byte(id))
	return "sha256:" + hex.EncodeToString(sum[:16])
}
