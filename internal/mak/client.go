package mak

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"strings"
	"time"

	"github.com/volact/volact/internal/hresult"
	"github.com/volact/volact/internal/httpjson"
	"github.com/volact/volact/internal/protocol"
	"github.com/volact/volact/internal/secretnet"
)

// ClientTimeout bounds one call of a ServiceClient.
const ClientTimeout = 30 * time.Second

// ServiceClient calls a running service's admin API and its proxy
// exchange. It implements AdminAPI.
//
// Every call carries a secret (the admin token, or the MAK inside an
// installation request), so plain http:// is used only to a loopback,
// private or link-local address unless AllowHTTP (secretnet.Check).
type ServiceClient struct {
	URL       string       // base URL, http(s)://host:port
	Token     string       // admin token; not needed for Proxy (see ReadTokenFile)
	HTTP      *http.Client // nil = a client with ClientTimeout
	AllowHTTP bool         // plain http:// to a public address too (--allow-http)
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
// (VC1-...) through POST /v1/proxy. A service older than identity sources
// refuses a request that carries them; it is then sent again without them
// (protocol.RefusesSources), so requests from upgraded clients still go
// through.
func (c *ServiceClient) Proxy(ctx context.Context, request string) (string, error) {
	var out ProxyResponse
	err := c.post(ctx, "/v1/proxy", false, ProxyRequest{Request: request}, &out)
	if protocol.RefusesSources(err) {
		if older, terr := protocol.WithoutSourcesText(request); terr == nil {
			err = c.post(ctx, "/v1/proxy", false, ProxyRequest{Request: older}, &out)
		}
	}
	if err != nil {
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
			WithHint("pass --token-file FILE or set VOLACT_TOKEN (the service keeps it in DIR/admin.token)")
	}
	what := "the installation request (it holds the MAK)"
	if admin {
		what = "the admin token"
	}
	url := strings.TrimRight(c.URL, "/") + path
	if err := secretnet.Check(ctx, url, what, c.AllowHTTP, nil); err != nil {
		return err
	}
	hc := c.HTTP
	if hc == nil {
		hc = &http.Client{Timeout: ClientTimeout}
	}
	hc = secretnet.Client(hc, what, c.AllowHTTP)
	token := ""
	if admin {
		token = c.Token
	}
	data, err := httpjson.Post(ctx, hc, url, token, in)
	if err != nil {
		return err
	}
	if err := json.Unmarshal(data, out); err != nil {
		return hresult.Wrap(hresult.ServiceFailure, err, "the activation service sent an unreadable answer")
	}
	return nil
}

// MaxTokenFile bounds the size of an admin token file.
const MaxTokenFile = 4 << 10

// ReadTokenFile reads an admin token from path (--token-file): a regular
// file (a symbolic link to one is fine, as with mounted secrets) of at
// most MaxTokenFile bytes, surrounding white space dropped. An empty,
// missing or unreadable file is exit 3; the token is never echoed.
func ReadTokenFile(path string) (string, error) {
	bad := func(why string) error {
		return hresult.Newf(hresult.InvalidArg, "--token-file %s: %s", path, why).WithExit(hresult.ExitInvalid)
	}
	f, err := os.Open(path)
	if err != nil {
		return "", bad(fmt.Sprint(unwrapPathErr(err)))
	}
	defer f.Close()
	if st, err := f.Stat(); err != nil || !st.Mode().IsRegular() {
		return "", bad("not a regular file")
	}
	data, err := io.ReadAll(io.LimitReader(f, MaxTokenFile+1))
	switch {
	case err != nil:
		return "", bad(fmt.Sprint(unwrapPathErr(err)))
	case len(data) > MaxTokenFile:
		return "", bad(fmt.Sprintf("larger than %d bytes", MaxTokenFile))
	}
	tok := strings.TrimSpace(string(data))
	if tok == "" {
		return "", bad("empty")
	}
	if strings.ContainsAny(tok, "\r\n") {
		return "", bad("holds more than one line")
	}
	return tok, nil
}

// unwrapPathErr drops the path of a *os.PathError (messages name it).
func unwrapPathErr(err error) error {
	if pe, ok := err.(*os.PathError); ok {
		return pe.Err
	}
	return err
}
