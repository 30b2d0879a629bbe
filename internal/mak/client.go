package mak

import (
	"context"
	"encoding/json"
	"net/http"
	"strings"
	"time"

	"github.com/volact/volact/internal/hresult"
	"github.com/volact/volact/internal/httpjson"
	"github.com/volact/volact/internal/protocol"
)

// ClientTimeout bounds one call of a ServiceClient.
const ClientTimeout = 30 * time.Second

// ServiceClient calls a running service's admin API and its proxy
// exchange. It implements AdminAPI.
type ServiceClient struct {
	URL   string       // base URL, http(s)://host:port
	Token string       // admin token; not needed for Proxy
	HTTP  *http.Client // nil = a client with ClientTimeout
}

var _ AdminAPI = (*ServiceClient)(nil)

// Mint mints keys through POST /v1/admin/mint.
func (c *ServiceClient) Mint(ctx context.Context, r MintRequest) (MintResponse, error) {
	var out MintResponse
	err := c.post(ctx, "/v1/admin/mint", true, r, &out)
	return out, err
}

// Block blocks a key through POST /v1/admin/block.
func (c *ServiceClient) Block(ctx context.Context, key string) (KeyStatus, error) {
	var out KeyStatus
	err := c.post(ctx, "/v1/admin/block", true, KeyRequest{Key: key}, &out)
	return out, err
}

// Remaining reads a key's count through POST /v1/admin/remaining.
func (c *ServiceClient) Remaining(ctx context.Context, key string) (KeyStatus, error) {
	var out KeyStatus
	err := c.post(ctx, "/v1/admin/remaining", true, KeyRequest{Key: key}, &out)
	return out, err
}

// Proxy exchanges an installation request (VA1-...) for a confirmation
// (VC1-...) through POST /v1/proxy.
func (c *ServiceClient) Proxy(ctx context.Context, request string) (string, error) {
	var out ProxyResponse
	if err := c.post(ctx, "/v1/proxy", false, ProxyRequest{Request: request}, &out); err != nil {
		return "", err
	}
	var env protocol.Envelope
	if err := protocol.DecodeText(protocol.ConfirmationPrefix, out.Confirmation, &env); err != nil {
		return "", hresult.Wrap(hresult.ServiceFailure, err, "the service sent an unreadable confirmation")
	}
	return out.Confirmation, nil
}

// post sends in as JSON to path and decodes a 200 answer into out. An
// error answer becomes its *hresult.Error; a transport failure is
// hresult.NoHost (exit 4).
func (c *ServiceClient) post(ctx context.Context, path string, admin bool, in, out any) error {
	if c.URL == "" {
		return hresult.New(hresult.NoHost, "no activation service is configured").WithHint("set --service URL or VOLACT_SERVICE")
	}
	if admin && c.Token == "" {
		return hresult.New(hresult.Unauthorized, "no admin token given").
			WithHint("pass --token T or VOLACT_TOKEN (the service keeps it in DIR/admin.token)")
	}
	hc := c.HTTP
	if hc == nil {
		hc = &http.Client{Timeout: ClientTimeout}
	}
	token := ""
	if admin {
		token = c.Token
	}
	data, err := httpjson.Post(ctx, hc, strings.TrimRight(c.URL, "/")+path, token, in)
	if err != nil {
		return err
	}
	if err := json.Unmarshal(data, out); err != nil {
		return hresult.Wrap(hresult.ServiceFailure, err, "the activation service sent an unreadable answer")
	}
	return nil
}
