package client

import (
	"context"
	"net/http"

	"github.com/volact/volact/internal/httpjson"
	"github.com/volact/volact/internal/secretnet"
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

// makClient returns the HTTP client for a request to url that carries a
// MAK or retail key, after the plain-HTTP rule (secretnet.Check): https,
// or http to a loopback, private or link-local address, unless
// Options.AllowHTTP. A refusal is exit 3 and nothing is contacted.
// Redirects are held to the same rule.
func (c *Client) makClient(ctx context.Context, url string) (*http.Client, error) {
	const what = "the product key"
	if err := secretnet.Check(ctx, url, what, c.opts.AllowHTTP, nil); err != nil {
		return nil, err
	}
	return secretnet.Client(c.httpClient(), what, c.opts.AllowHTTP), nil
}
