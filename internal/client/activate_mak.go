package client

import (
	"context"
	"time"

	"github.com/volact/volact/internal/catalog"
	"github.com/volact/volact/internal/hresult"
)

// activateMAK activates a MAK or retail key against the activation service.
// (The service side arrives with the activation-service work.)
func (c *Client) activateMAK(ctx context.Context, p Installed, prod catalog.Product, now time.Time) outcome {
	if c.opts.ServiceURL == "" {
		return outcome{count: -1, err: hresult.New(hresult.NoHost, "no activation service is configured").
			WithHint("set --service URL or VOLACT_SERVICE")}
	}
	return outcome{count: -1, err: hresult.New(hresult.NoHost, "MAK activation is not available yet")}
}
