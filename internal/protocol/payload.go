package protocol

import (
	"strconv"
	"time"
)

// appendGrant appends g as encoding/json writes it, byte for byte, when
// every string needs no escaping and both times are UTC in years 0 to
// 9999; ok is false otherwise, and the caller uses encoding/json. A grant
// is encoded once per answer and is the leaf of the log, so this saves
// the reflection of json.Marshal on the host's hot path.
func appendGrant(b []byte, g *Grant) (_ []byte, ok bool) {
	if !plainTime(g.IssuedAt) || !g.ExpiresAt.IsZero() && !plainTime(g.ExpiresAt) {
		return b, false
	}
	for _, s := range [...]string{g.Kind, g.SKU, g.HardwareID, g.CMID, g.Group, g.Issuer, g.KeyLast5, g.Nonce} {
		if !plainString(s) {
			return b, false
		}
	}
	b = appendField(b, `{"kind":"`, g.Kind)
	b = appendField(b, `","sku":"`, g.SKU)
	b = appendField(b, `","hardware_id":"`, g.HardwareID)
	if g.CMID != "" {
		b = appendField(b, `","cmid":"`, g.CMID)
	}
	b = append(b, `","issued_at":"`...)
	b = g.IssuedAt.AppendFormat(b, time.RFC3339Nano)
	b = append(b, '"')
	if !g.ExpiresAt.IsZero() {
		b = append(b, `,"expires_at":"`...)
		b = g.ExpiresAt.AppendFormat(b, time.RFC3339Nano)
		b = append(b, '"')
	}
	b = appendInt(b, `,"activation_interval_minutes":`, g.ActivationInterval)
	b = appendInt(b, `,"renewal_interval_minutes":`, g.RenewalInterval)
	b = appendInt(b, `,"current_count":`, g.CurrentCount)
	if g.Group != "" {
		b = appendField(b, `,"group":"`, g.Group)
		b = append(b, '"')
	}
	b = appendField(b, `,"issuer":"`, g.Issuer)
	if g.KeyLast5 != "" {
		b = appendField(b, `","key_last5":"`, g.KeyLast5)
	}
	b = appendField(b, `","nonce":"`, g.Nonce)
	b = append(b, '"')
	b = appendInt(b, `,"instance":`, g.Instance)
	return append(b, '}'), true
}

// appendField appends the JSON text prefix and then s.
func appendField(b []byte, prefix, s string) []byte {
	return append(append(b, prefix...), s...)
}

// appendInt appends name and n, unless n is 0 (omitempty).
func appendInt(b []byte, name string, n int) []byte {
	if n == 0 {
		return b
	}
	return strconv.AppendInt(append(b, name...), int64(n), 10)
}

// plainString reports whether encoding/json writes s as it is: printable
// ASCII without '"', '\\' and the HTML characters it escapes.
func plainString(s string) bool {
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c < 0x20 || c > 0x7e || c == '"' || c == '\\' || c == '<' || c == '>' || c == '&' {
			return false
		}
	}
	return true
}

// plainTime reports whether t is UTC in a year that time.Time.MarshalJSON
// writes without error.
func plainTime(t time.Time) bool {
	return t.Location() == time.UTC && t.Year() >= 0 && t.Year() <= 9999
}
