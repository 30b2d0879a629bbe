package client

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
	"time"

	"github.com/volact/volact/internal/hresult"
	"github.com/volact/volact/internal/protocol"
)

// DefaultTimeout bounds one request to one host or service, so that a login
// script or VPN hook never hangs on an unreachable server.
const DefaultTimeout = 5 * time.Second

// maxAnswer caps the size of an answer the client reads.
const maxAnswer = 1 << 20

func (c *Client) httpClient() *http.Client {
	if c.opts.HTTP != nil {
		return c.opts.HTTP
	}
	return &http.Client{Timeout: DefaultTimeout}
}

// Call POSTs req as JSON to url and, on success, verifies the signed answer
// against root at now and decodes its payload into out. A failure answer
// becomes its *hresult.Error; a transport failure is hresult.NoHost (exit 4).
func Call(ctx context.Context, hc *http.Client, url string, req any, root ed25519.PublicKey, now time.Time, out any) (*protocol.Envelope, *protocol.Certificate, error) {
	body, err := json.Marshal(req)
	if err != nil {
		return nil, nil, fmt.Errorf("encode request: %w", err)
	}
	hreq, err := http.NewRequestWithContext(ctx, http.MethodPost, url, bytes.NewReader(body))
	if err != nil {
		return nil, nil, hresult.Wrap(hresult.InvalidArg, err, "bad URL "+redactURL(url)).WithExit(hresult.ExitInvalid)
	}
	hreq.Header.Set("Content-Type", "application/json")
	resp, err := hc.Do(hreq)
	if err != nil {
		return nil, nil, unreachable(url, err)
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(io.LimitReader(resp.Body, maxAnswer))
	if err != nil {
		return nil, nil, unreachable(url, err)
	}
	if resp.StatusCode != http.StatusOK {
		var er protocol.ErrorResponse
		if json.Unmarshal(data, &er) == nil && er.Error.Code != "" {
			return nil, nil, er.Err()
		}
		return nil, nil, hresult.Newf(hresult.ServiceFailure, "%s answered %s", redactURL(url), resp.Status)
	}
	env, err := protocol.ParseEnvelope(data)
	if err != nil {
		return nil, nil, err
	}
	cert, err := protocol.Open(env, root, now, out)
	if err != nil {
		return nil, nil, err
	}
	return &env, cert, nil
}

// unreachable explains a transport failure in one line.
func unreachable(url string, err error) *hresult.Error {
	why := err.Error()
	var ne interface{ Timeout() bool }
	switch {
	case errors.As(err, &ne) && ne.Timeout():
		why = "timed out"
	case strings.Contains(why, "connection refused"):
		why = "connection refused"
	}
	return hresult.Newf(hresult.NoHost, "cannot reach %s: %s", redactURL(url), why)
}

// redactURL drops user info and query from a URL for messages.
func redactURL(u string) string {
	if i := strings.Index(u, "@"); i >= 0 {
		if j := strings.Index(u, "://"); j >= 0 && j < i {
			u = u[:j+3] + u[i+1:]
		}
	}
	if i := strings.IndexAny(u, "?#"); i >= 0 {
		u = u[:i]
	}
	return u
}
