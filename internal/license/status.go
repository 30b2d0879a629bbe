package license

import (
	"fmt"
	"strings"
	"time"

	"github.com/volact/volact/internal/hresult"
)

// Status is the licensing status of a product, with the codes of design §2.
type Status int

// The five statuses. Code 4 is unused, as in the tools volact replaces.
const (
	Unlicensed   Status = 0 // no product key installed
	Licensed     Status = 1 // activated
	OOBGrace     Status = 2 // initial grace after a key install or a rearm
	OOTGrace     Status = 3 // KMS validity lapsed or hardware changed
	Notification Status = 5 // a grace has expired
)

type statusText struct{ json, slmgr, ospp string }

var statusTexts = map[Status]statusText{
	Unlicensed:   {"unlicensed", "Unlicensed", "UNLICENSED"},
	Licensed:     {"licensed", "Licensed", "LICENSED"},
	OOBGrace:     {"oob_grace", "Initial grace period", "OOB_GRACE"},
	OOTGrace:     {"oot_grace", "Additional grace period (KMS license expired or hardware out of tolerance)", "OOT_GRACE"},
	Notification: {"notification", "Notification", "NOTIFICATIONS"},
}

// String is the JSON name of s, such as "oob_grace".
func (s Status) String() string {
	if t, ok := statusTexts[s]; ok {
		return t.json
	}
	return fmt.Sprintf("status(%d)", int(s))
}

// SlmgrText is the slmgr-style "License Status:" text of s, such as
// "Initial grace period".
func (s Status) SlmgrText() string {
	if t, ok := statusTexts[s]; ok {
		return t.slmgr
	}
	return "Unknown"
}

// OsppToken is the ospp-style token of s without its dashes, such as
// "OOB_GRACE" (printed as ---OOB_GRACE---).
func (s Status) OsppToken() string {
	if t, ok := statusTexts[s]; ok {
		return t.ospp
	}
	return "UNKNOWN"
}

// Valid reports whether s is one of the five statuses.
func (s Status) Valid() bool { _, ok := statusTexts[s]; return ok }

// Channel is the distribution channel of a product key.
type Channel string

// The channels volact knows.
const (
	Retail    Channel = "retail"     // retail key, activated online, permanent
	MAK       Channel = "mak"        // multiple activation key, activated online, permanent
	KMSClient Channel = "kms_client" // KMS client key, activated by a KMS host for 180 days
)

// Description is the channel name used in "LICENSE DESCRIPTION: <name>,
// VOLUME_KMSCLIENT channel" lines: "RETAIL", "VOLUME_MAK" or
// "VOLUME_KMSCLIENT". An unknown channel is upper-cased.
func (c Channel) Description() string {
	switch c {
	case Retail:
		return "RETAIL"
	case MAK:
		return "VOLUME_MAK"
	case KMSClient:
		return "VOLUME_KMSCLIENT"
	}
	return strings.ToUpper(string(c))
}

// Valid reports whether c is one of the known channels.
func (c Channel) Valid() bool { return c == Retail || c == MAK || c == KMSClient }

// Volume reports whether c is a volume channel (MAK or KMS client); volume
// products never lose function in notification mode.
func (c Channel) Volume() bool { return c == MAK || c == KMSClient }

// Policy holds a product's licensing rules from the catalog. A zero (or
// negative) field means the default; see [Policy.WithDefaults].
type Policy struct {
	GraceDays       int `json:"grace_days,omitempty"`        // initial (OOB) grace, default 30
	OOTGraceDays    int `json:"oot_grace_days,omitempty"`    // out-of-tolerance grace, default 30
	KMSValidityDays int `json:"kms_validity_days,omitempty"` // KMS activation validity, default 180
	RearmLimit      int `json:"rearm_limit,omitempty"`       // rearms allowed, default 5
}

// Policy defaults (design §2).
const (
	DefaultGraceDays       = 30
	DefaultOOTGraceDays    = 30
	DefaultKMSValidityDays = 180
	DefaultRearmLimit      = 5
)

// WithDefaults returns p with every zero or negative field set to its default.
func (p Policy) WithDefaults() Policy {
	def := func(v, d int) int {
		if v <= 0 {
			return d
		}
		return v
	}
	return Policy{
		GraceDays:       def(p.GraceDays, DefaultGraceDays),
		OOTGraceDays:    def(p.OOTGraceDays, DefaultOOTGraceDays),
		KMSValidityDays: def(p.KMSValidityDays, DefaultKMSValidityDays),
		RearmLimit:      def(p.RearmLimit, DefaultRearmLimit),
	}
}

// KMS client intervals, in minutes.
const (
	DefaultActivationInterval = 120   // retry of an unactivated KMS client: 2 hours
	DefaultRenewalInterval    = 10080 // renewal of an activated KMS client: 7 days
	MinInterval               = 15    // smallest allowed interval
	MaxInterval               = 43200 // largest allowed interval: 30 days
)

// ValidateInterval checks that an interval of minutes lies in
// MinInterval..MaxInterval inclusive. name says which interval, such as
// "activation interval". The error is an *hresult.Error with code
// [hresult.InvalidArg] and exit status [hresult.ExitInvalid].
func ValidateInterval(name string, minutes int) error {
	if minutes >= MinInterval && minutes <= MaxInterval {
		return nil
	}
	return hresult.Newf(hresult.InvalidArg, "%s %d minutes is out of range %d..%d", name, minutes, MinInterval, MaxInterval).
		WithExit(hresult.ExitInvalid).
		WithHint(fmt.Sprintf("give a number of minutes from %d to %d (30 days)", MinInterval, MaxInterval))
}

func validInterval(minutes int) bool { return minutes >= MinInterval && minutes <= MaxInterval }

const day = 24 * time.Hour

func days(n int) time.Duration { return time.Duration(n) * day }

// FloorDays is d in whole days, rounded down (ospp-style remaining grace).
// A zero or negative d gives 0.
func FloorDays(d time.Duration) int {
	if d <= 0 {
		return 0
	}
	return int(d / day)
}

// CeilDays is d in days, rounded up (slmgr-style remaining time): one
// nanosecond left is 1 day. A zero or negative d gives 0.
func CeilDays(d time.Duration) int {
	if d <= 0 {
		return 0
	}
	return int((d + day - 1) / day)
}

// Minutes is d in whole minutes, rounded down. A zero or negative d gives 0.
func Minutes(d time.Duration) int {
	if d <= 0 {
		return 0
	}
	return int(d / time.Minute)
}
