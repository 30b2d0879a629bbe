package client

import (
	"context"
	"time"

	"github.com/volact/volact/internal/catalog"
	"github.com/volact/volact/internal/hresult"
)

// activateKMS activates a KMS client key against a KMS host found by
// discovery. (Discovery and the host arrive with the KMS work.)
func (c *Client) activateKMS(ctx context.Context, p Installed, prod catalog.Product, set Settings, now time.Time) outcome {
	return outcome{count: -1, err: hresult.New(hresult.NoHost, "no KMS host is configured or published in DNS").
		WithHint("pin one with volact sethst HOST[:PORT], or publish _vlmcs._tcp SRV records and set the domain with volact setdomain")}
}
