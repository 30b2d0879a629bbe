package client

import (
	"net/http"

	"github.com/volact/volact/internal/httpjson"
)

// DefaultTimeout bounds one request to one host or service; it is
// httpjson.DefaultTimeout, named here for the client's callers.
const DefaultTimeout = httpjson.DefaultTimeout

func (c *Client) httpClient() *http.Client {
	if c.opts.HTTP != nil {
		return c.opts.HTTP
	}
	return &http.Client{Timeout: DefaultTimeout}
}
