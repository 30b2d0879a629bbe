// Package kms is the KMS host (design §5): it counts the distinct client
// machines (CMIDs) of each counted group seen in the last 30 days, activates
// clients once a group reaches its catalog threshold, signs their grants with
// the host key that the activation service certified, keeps an activation
// history, and persists all of it in an SQLite file in its data directory.
//
// Layout of a data directory (mode 0700):
//
//	kms.db        SQLite (WAL), mode 0600: settings, host keys (redacted) and
//	              certificates, counted clients, history, refused requests per day
//	journal-N.log requests answered but not yet in kms.db (see below), mode 0600
//	journal-N.log.damaged  a segment with a damaged record, moved aside after
//	              the records before the damage were applied
//	host.key      the host's Ed25519 signing key, PKCS #8 PEM, mode 0600
//	host-keys.json the installed KMS host keys in full, by group, mode 0600:
//	              kept out of kms.db, so that a copy of the history carries none
//	catalog.json  the signed catalog (thresholds, SKU to group), copied at install-key
//	kms.lock      held by the process that owns the directory (serve, install-key, activate, set)
//
// No answer is sent before its request (count and history row) is in the
// journal: one write(2) to the current segment, no fsync, so a crash or
// kill -9 of the host loses nothing it answered. Every 100 ms (sooner
// under load) the applier writes the segment into kms.db in one
// transaction with a full fsync and deletes it, so a disk sync is shared
// by every request of the batch; a host that stopped replays the
// segments left behind when it opens. A power cut can lose at most the
// requests of the last batch, which their clients send again at their next
// retry or renewal. `kms status` and `kms history` read the journal too, so
// they show every answered request at once.
package kms

import (
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/volact/volact/internal/hresult"
	"github.com/volact/volact/internal/license"
)

// Host defaults and fixed rules (design §5).
const (
	DefaultPort             = 1688
	DefaultHistoryRetention = 365 * 24 * time.Hour
	Window                  = 30 * 24 * time.Hour  // clients seen in this window are counted
	Validity                = 180 * 24 * time.Hour // a grant is valid this long
	MaxClockSkew            = 4 * time.Hour        // client and host clocks may differ this much
	MaxRequestBody          = 16 << 10             // largest activation request accepted
)

// File names inside a data directory.
const (
	DBFile      = "kms.db"
	KeyFile     = "host.key"
	CatalogFile = "catalog.json"
	LockFile    = "kms.lock"
	KeysFile    = "host-keys.json"
)

// Settings are the host's settings, kept in its database.
type Settings struct {
	ActivationInterval int           `json:"activation_interval_minutes"` // told to unactivated clients
	RenewalInterval    int           `json:"renewal_interval_minutes"`    // told to activated clients
	Port               int           `json:"port"`                        // listen port when --listen is not given
	HistoryRetention   time.Duration `json:"-"`
	RetentionDays      int           `json:"history_retention_days"`
	// NewCMIDLimit is how many new CMIDs per source network (/24, /64)
	// and hour are counted; 0 = no limit (countlimit.go).
	NewCMIDLimit int `json:"new_cmid_limit_per_hour"`
}

// DefaultSettings are the settings of a new host.
func DefaultSettings() Settings {
	return Settings{
		ActivationInterval: license.DefaultActivationInterval,
		RenewalInterval:    license.DefaultRenewalInterval,
		Port:               DefaultPort,
		HistoryRetention:   DefaultHistoryRetention,
		RetentionDays:      int(DefaultHistoryRetention / (24 * time.Hour)),
		NewCMIDLimit:       DefaultNewCMIDLimit,
	}
}

// Validate checks every setting.
func (s Settings) Validate() error {
	if err := license.ValidateInterval("activation interval", s.ActivationInterval); err != nil {
		return err
	}
	if err := license.ValidateInterval("renewal interval", s.RenewalInterval); err != nil {
		return err
	}
	if s.Port < 1 || s.Port > 65535 {
		return invalid("port %d is not a number from 1 to 65535", s.Port)
	}
	if s.NewCMIDLimit < 0 {
		return invalid("new CMID limit %d is negative: use 0 for no limit", s.NewCMIDLimit)
	}
	if s.HistoryRetention < 24*time.Hour || s.HistoryRetention > 100*365*24*time.Hour {
		return invalid("history retention %s is out of range: use 1d to 36500d", FormatRetention(s.HistoryRetention))
	}
	return nil
}

// ParseRetention reads a retention such as 90d, 2160h or 90 (days).
func ParseRetention(s string) (time.Duration, error) {
	s = strings.TrimSpace(strings.ToLower(s))
	days := strings.TrimSuffix(s, "d")
	if n, err := strconv.Atoi(days); err == nil {
		return time.Duration(n) * 24 * time.Hour, nil
	}
	d, err := time.ParseDuration(s)
	if err != nil {
		return 0, invalid("history retention %q is not a number of days (90d) or a duration (2160h)", s)
	}
	return d, nil
}

// FormatRetention prints a retention in days.
func FormatRetention(d time.Duration) string {
	return fmt.Sprintf("%dd", int(d/(24*time.Hour)))
}

func invalid(format string, args ...any) *hresult.Error {
	return hresult.Newf(hresult.InvalidArg, format, args...).WithExit(hresult.ExitInvalid)
}
