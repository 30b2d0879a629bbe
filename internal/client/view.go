package client

import (
	"time"

	"github.com/volact/volact/internal/hresult"
	"github.com/volact/volact/internal/license"
)

// Report is what dstatus, dli, dlv and xpr show: every product's status.
type Report struct {
	// Catalog is the root and issuer of the catalog the products were
	// evaluated under.
	Catalog  CatalogInfo     `json:"catalog"`
	Products []ProductStatus `json:"products"`
	// TrustedTime is the client's trusted-time high-water mark.
	TrustedTime time.Time `json:"trusted_time"`
	// ClockRolledBack is true when the system clock is more than 10 minutes
	// behind the trusted time; grace is then computed from TrustedTime.
	ClockRolledBack bool `json:"clock_rolled_back"`
}

// ProductStatus is one product's status (design §8, dstatus --json).
type ProductStatus struct {
	SKU                   string           `json:"sku"`
	Name                  string           `json:"name"`
	Channel               string           `json:"channel"` // retail, mak, kms_client; "" without key
	Status                license.Status   `json:"status"`  // by name: unlicensed, licensed, oob_grace, oot_grace, notification
	StatusCode            int              `json:"status_code"`
	Reason                hresult.Optional `json:"reason"`      // 0x... or ""
	ReasonText            string           `json:"reason_text"` // text of Reason
	PartialKey            string           `json:"partial_key"`
	GraceRemainingMinutes int              `json:"grace_remaining_minutes"`
	GraceExpiresAt        *time.Time       `json:"grace_expires_at"`
	ActivationExpiresAt   *time.Time       `json:"activation_expires_at"`
	Permanent             bool             `json:"permanent"`
	ReducedFunctionality  bool             `json:"reduced_functionality"`
	RearmRemaining        int              `json:"rearm_remaining"`
	KMS                   *KMSStatus       `json:"kms"`
	// Hardware is how this machine matches the hardware recorded with the
	// grant; null without a grant.
	Hardware *HardwareStatus `json:"hardware"`

	// Fields for text output only.
	GraceRemaining      time.Duration `json:"-"`
	ActivationRemaining time.Duration `json:"-"`
	ChannelDescription  string        `json:"-"` // VOLUME_KMSCLIENT, VOLUME_MAK, RETAIL
	StatusToken         string        `json:"-"` // ospp token: LICENSED, ...
	StatusText          string        `json:"-"` // slmgr text: Licensed, ...
	ProductID           uint16        `json:"-"`
}

// KMSStatus is the KMS-client part of a product's status.
type KMSStatus struct {
	Host                      string     `json:"host"`
	Port                      int        `json:"port"`
	Source                    string     `json:"source"` // pinned, srv, cached or ""
	ActivationIntervalMinutes int        `json:"activation_interval_minutes"`
	RenewalIntervalMinutes    int        `json:"renewal_interval_minutes"`
	HostCaching               bool       `json:"host_caching"`
	CMID                      string     `json:"cmid"`
	CurrentCount              int        `json:"current_count"`
	NextAttemptAt             *time.Time `json:"next_attempt_at"`
}
