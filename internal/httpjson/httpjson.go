// Package httpjson posts JSON requests to volact's servers and turns their
// answers into bytes or *hresult.Error values, in one place for every
// client (activation client, admin client, KMS host activation).
package httpjson

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"

	"github.com/volact/volact/internal/hresult"
	"github.com/volact/volact/internal/protocol"
)

// MaxAnswer caps the size of an answer a client reads.
const MaxAnswer = 1 << 20

// Post sends in as JSON to rawURL, with "Authorization: Bearer token" when
// token is not empty, and returns the body of a 200 answer. An error answer
// becomes its *hresult.Error; a transport failure is hresult.NoHost (exit 4)
// saying which server and why, without user info or query.
func Post(ctx context.Context, hc *http.Client, rawURL, token string, in any) ([]byte, error) {
	body, err := json.Marshal(in)
	if err != nil {
		return nil, fmt.Errorf("encode request: %w", err)
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, rawURL, bytes.NewReader(body))
	if err != nil {
		return nil, hresult.Wrap(hresult.InvalidArg, err, "bad URL "+Redact(rawURL)).WithExit(hresult.ExitInvalid)
	}
	req.Header.Set("Content-Type", "application/json")
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	resp, err := hc.Do(req)
	if err != nil {
		return nil, Unreachable(rawURL, err)
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(io.LimitReader(resp.Body, MaxAnswer))
	if err != nil {
		return nil, Unreachable(rawURL, err)
	}
	if resp.StatusCode != http.StatusOK {
		var er protocol.ErrorResponse
		if json.Unmarshal(data, &er) == nil && er.Error.Code != "" {
			return nil, er.Err()
		}
		return nil, hresult.Newf(hresult.ServiceFailure, "%s answered %s", Redact(rawURL), resp.Status)
	}
	return data, nil
}

// Unreachable explains a transport failure in one line.
func Unreachable(rawURL string, err error) *hresult.Error {
	why := err.Error()
	var ne interface{ Timeout() bool }
	switch {
	case errors.As(err, &ne) && ne.Timeout():
		why = "timed out"
	case strings.Contains(why, "connection refused"):
		why = "connection refused"
	}
	return hresult.Newf(hresult.NoHost, "cannot reach %s: %s", Redact(rawURL), why)
}

// Redact drops user info, query and fragment from a URL for messages.
func Redact(rawURL string) string {
	u, err := url.Parse(rawURL)
	if err != nil {
		return "the server"
	}
	u.User, u.RawQuery, u.Fragment = nil, "", ""
	return u.String()
}
