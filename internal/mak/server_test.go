package mak

import (
	"context"
	"encoding/json"
	"net"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/volact/volact/internal/authority"
	"github.com/volact/volact/internal/hresult"
	"github.com/volact/volact/internal/httpserve"
	"github.com/volact/volact/internal/productkey"
	"github.com/volact/volact/internal/protocol"
)

func TestActivate(t *testing.T) {
	e := newEnv(t, "")
	key := e.mint(productkey.MAK, "suite-pro", 50)
	g, status, herr := e.activate(makReq(key, "suite-pro", "hw-1"))
	if herr != nil {
		t.Fatalf("activate: HTTP %d %v", status, herr)
	}
	want := protocol.Grant{Kind: protocol.KindMAK, SKU: "suite-pro", HardwareID: "hw-1", CMID: "cmid-hw-1",
		IssuedAt: now, Issuer: Issuer, KeyLast5: key[len(key)-5:], Nonce: "nonce-hw-1"}
	if !g.IssuedAt.Equal(want.IssuedAt) || g.ExpiresAt != (time.Time{}) {
		t.Errorf("grant times %v / %v, want issued %v and no expiry", g.IssuedAt, g.ExpiresAt, now)
	}
	g.IssuedAt = want.IssuedAt
	if g != want {
		t.Errorf("grant\n got %+v\nwant %+v", g, want)
	}
	if st := e.remaining(key); st != (KeyStatus{Used: 1, Limit: 50, Remaining: 49}) {
		t.Errorf("remaining %+v, want 1 of 50 used", st)
	}
	// The SKU is matched in any case; the grant names the catalog's SKU.
	if g, _, herr := e.activate(makReq(key, "SUITE-PRO", "hw-2")); herr != nil || g.SKU != "suite-pro" {
		t.Errorf("activate with SKU in upper case: %v, grant SKU %q", herr, g.SKU)
	}
}

func TestActivateIdempotent(t *testing.T) {
	e := newEnv(t, "")
	key := e.mint(productkey.MAK, "suite-pro", 2)
	for i := range 3 { // the same installation three times, the last with a new nonce
		req := makReq(key, "suite-pro", "hw-1")
		if i == 2 {
			req.Nonce = "another"
		}
		if _, status, herr := e.activate(req); herr != nil {
			t.Fatalf("activation %d: HTTP %d %v", i+1, status, herr)
		}
	}
	if st := e.remaining(key); st.Used != 1 {
		t.Fatalf("re-activations spent: %d used, want 1", st.Used)
	}
	// The same hardware for another product is another installation.
	other := e.mint(productkey.MAK, "server-std", 2)
	if _, _, herr := e.activate(makReq(other, "server-std", "hw-1")); herr != nil {
		t.Fatal(herr)
	}
	if st := e.remaining(key); st.Used != 1 {
		t.Errorf("activating another product spent on this key: %+v", st)
	}
}

func TestActivateExhaustedAndBlocked(t *testing.T) {
	e := newEnv(t, "")
	key := e.mint(productkey.MAK, "workstation-ent", 2)
	for _, hw := range []string{"hw-1", "hw-2"} {
		if _, _, herr := e.activate(makReq(key, "workstation-ent", hw)); herr != nil {
			t.Fatal(herr)
		}
	}
	_, status, herr := e.activate(makReq(key, "workstation-ent", "hw-3"))
	wantRefused(t, status, herr, http.StatusForbidden, hresult.KeyExhausted)
	if !strings.Contains(herr.Msg, "2 of 2 used") {
		t.Errorf("exhausted message %q does not give the count", herr.Msg)
	}
	// An installation that has its activation keeps getting grants.
	if _, _, herr := e.activate(makReq(key, "workstation-ent", "hw-2")); herr != nil {
		t.Fatalf("re-activation of an activated machine after exhaustion: %v", herr)
	}

	status, body := e.post("/v1/admin/block", testToken, KeyRequest{Key: key})
	if status != http.StatusOK {
		t.Fatalf("block: HTTP %d %s", status, body)
	}
	var st KeyStatus
	if err := json.Unmarshal(body, &st); err != nil || st != (KeyStatus{Used: 2, Limit: 2, Blocked: true}) {
		t.Fatalf("block answered %s (%v)", body, err)
	}
	_, status, herr = e.activate(makReq(key, "workstation-ent", "hw-9"))
	wantRefused(t, status, herr, http.StatusForbidden, hresult.KeyBlocked)
	_, status, herr = e.activate(makReq(key, "workstation-ent", "hw-1"))
	wantRefused(t, status, herr, http.StatusForbidden, hresult.KeyBlocked)
}

func TestActivateRefused(t *testing.T) {
	e := newEnv(t, "")
	key := e.mint(productkey.MAK, "suite-pro", 5)
	otherAuth, err := authority.Init(filepath.Join(t.TempDir(), "other"), now)
	if err != nil {
		t.Fatal(err)
	}
	forged, err := otherAuth.Mint(productkey.MAK, "suite-pro", 5, 0)
	if err != nil {
		t.Fatal(err)
	}
	// A typo: one symbol changed, which the check symbols catch.
	typo := []byte(key)
	typo[1] = productkey.Alphabet[(strings.IndexByte(productkey.Alphabet, typo[1])+1)%len(productkey.Alphabet)]
	retail := e.mint(productkey.Retail, "suite-pro", 0)
	host := e.mint(productkey.KMSHost, "suite-pro", 0)
	client := e.mint(productkey.KMSClient, "suite-pro", 0)
	mod := func(f func(*protocol.ActivationRequest)) protocol.ActivationRequest {
		r := makReq(key, "suite-pro", "hw-1")
		f(&r)
		return r
	}
	cases := []struct {
		name   string
		req    protocol.ActivationRequest
		status int
		code   hresult.Code
	}{
		{"forged key (another authority's MAC)", mod(func(r *protocol.ActivationRequest) { r.Key = forged.String() }), 403, hresult.KeyNotFound},
		{"mistyped key", mod(func(r *protocol.ActivationRequest) { r.Key = string(typo) }), 403, hresult.KeyNotFound},
		{"not a key at all", mod(func(r *protocol.ActivationRequest) { r.Key = "hello" }), 403, hresult.KeyNotFound},
		{"key for another SKU", mod(func(r *protocol.ActivationRequest) { r.SKU = "server-std" }), 403, hresult.KeyNotFound},
		{"KMS host key", mod(func(r *protocol.ActivationRequest) { r.Key = host }), 403, hresult.KeyNotFound},
		{"KMS client key", mod(func(r *protocol.ActivationRequest) { r.Key = client }), 403, hresult.KeyNotFound},
		{"unknown SKU", mod(func(r *protocol.ActivationRequest) { r.SKU = "no-such-sku" }), 404, hresult.SKUNotFound},
		{"kind kms", mod(func(r *protocol.ActivationRequest) { r.Kind = protocol.KindKMS }), 400, hresult.BadRequest},
		{"protocol version 2", mod(func(r *protocol.ActivationRequest) { r.Version = 2 }), 400, hresult.BadRequest},
		{"no hardware id", mod(func(r *protocol.ActivationRequest) { r.HardwareID = "" }), 400, hresult.BadRequest},
		{"hardware id too long", mod(func(r *protocol.ActivationRequest) { r.HardwareID = strings.Repeat("h", 257) }), 400, hresult.BadRequest},
		{"no nonce", mod(func(r *protocol.ActivationRequest) { r.Nonce = "" }), 400, hresult.BadRequest},
		{"client 4h01m ahead", mod(func(r *protocol.ActivationRequest) { r.ClientTime = now.Add(4*time.Hour + time.Minute) }), 403, hresult.ClockSkew},
		{"client 5h behind", mod(func(r *protocol.ActivationRequest) { r.ClientTime = now.Add(-5 * time.Hour) }), 403, hresult.ClockSkew},
		{"client 3h59m ahead", mod(func(r *protocol.ActivationRequest) { r.ClientTime = now.Add(4*time.Hour - time.Minute) }), 200, hresult.OK},
		{"retail key", mod(func(r *protocol.ActivationRequest) { r.Key = retail }), 200, hresult.OK},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, status, herr := e.activate(c.req)
			if c.code == hresult.OK {
				if herr != nil {
					t.Fatalf("HTTP %d %v, want success", status, herr)
				}
				return
			}
			wantRefused(t, status, herr, c.status, c.code)
			noKeyIn(t, "error answer", herr.Msg+herr.Hint, key, forged.String(), host, client)
		})
	}
	// A retail key activates one installation.
	_, status, herr := e.activate(makReq(retail, "suite-pro", "hw-2"))
	wantRefused(t, status, herr, http.StatusForbidden, hresult.KeyExhausted)
	if st := e.remaining(key); st.Used != 1 {
		t.Errorf("refused requests spent activations: %+v", st)
	}
}

func TestMalformedRequests(t *testing.T) {
	e := newEnv(t, "")
	key := e.mint(productkey.MAK, "suite-pro", 5)
	valid, _ := json.Marshal(makReq(key, "suite-pro", "hw-1"))
	cases := []struct {
		name, method, path, ctype string
		body                      string
		status                    int
	}{
		{"malformed JSON", "POST", "/v1/activate", "application/json", `{"version":1,`, 400},
		{"empty body", "POST", "/v1/activate", "application/json", ``, 400},
		{"unknown field", "POST", "/v1/activate", "application/json", `{"version":1,"extra":true}`, 400},
		{"wrong field type", "POST", "/v1/activate", "application/json", `{"version":"1"}`, 400},
		{"two JSON values", "POST", "/v1/activate", "application/json", string(valid) + "{}", 400},
		{"truncated request", "POST", "/v1/activate", "application/json", string(valid[:len(valid)/2]), 400},
		{"oversize body", "POST", "/v1/activate", "application/json", `{"key":"` + strings.Repeat("A", MaxBodySize) + `"}`, 413},
		{"text/plain", "POST", "/v1/activate", "text/plain", string(valid), 415},
		{"no content type", "POST", "/v1/activate", "", string(valid), 415},
		{"GET on a POST endpoint", "GET", "/v1/activate", "", "", 405},
		{"unknown endpoint", "POST", "/v2/activate", "application/json", string(valid), 404},
		{"malformed proxy text", "POST", "/v1/proxy", "application/json", `{"request":"VA1-!!!"}`, 400},
		{"confirmation sent as request", "POST", "/v1/proxy", "application/json", `{"request":"VC1-e30"}`, 400},
		{"malformed host request", "POST", "/v1/host/activate", "application/json", `[]`, 400},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			status, body := e.do(c.method, c.path, c.ctype, "", []byte(c.body))
			if status != c.status {
				t.Fatalf("HTTP %d, want %d: %s", status, c.status, body)
			}
			if herr := errorOf(t, body); herr.Code != hresult.BadRequest {
				t.Errorf("code %v, want %v", herr.Code, hresult.BadRequest)
			}
		})
	}
	if st := e.remaining(key); st.Used != 0 {
		t.Errorf("malformed requests spent activations: %+v", st)
	}
	// The charset parameter is fine.
	if status, body := e.do("POST", "/v1/activate", "application/json; charset=utf-8", "", valid); status != 200 {
		t.Errorf("JSON with charset: HTTP %d %s", status, body)
	}
}

func TestAdminAuth(t *testing.T) {
	e := newEnv(t, "")
	req := MintRequest{Type: "mak", SKU: "suite-pro", Activations: 100, Count: 3}
	for _, tok := range []string{"", "wrong", testToken + "x", strings.ToUpper(testToken)} {
		status, body := e.post("/v1/admin/mint", tok, req)
		if status != http.StatusUnauthorized || errorOf(t, body).Code != hresult.Unauthorized {
			t.Errorf("token %q: HTTP %d %s, want 401 %v", tok, status, body, hresult.Unauthorized)
		}
	}
	status, body := e.post("/v1/admin/mint", testToken, req)
	if status != http.StatusOK {
		t.Fatalf("mint: HTTP %d %s", status, body)
	}
	var res MintResponse
	if err := json.Unmarshal(body, &res); err != nil || len(res.Keys) != 3 {
		t.Fatalf("mint answered %s", body)
	}
	for _, s := range res.Keys {
		k, err := productkey.Parse(s)
		if err != nil || !k.VerifyMAC(e.auth.MACSecret()) || k.Type != productkey.MAK || k.Activations != 100 {
			t.Errorf("minted key ...%s: %v, type %v, activations %d", s[len(s)-5:], err, k.Type, k.Activations)
		}
	}
	noKeyIn(t, "service log", e.logs.String(), res.Keys...)
	for _, bad := range []struct {
		req    MintRequest
		status int
	}{
		{MintRequest{Type: "gold", SKU: "suite-pro"}, http.StatusBadRequest},
		{MintRequest{Type: "mak", SKU: "suite-pro", Activations: 5, Count: MaxMintCount + 1}, http.StatusBadRequest},
		{MintRequest{Type: "mak", SKU: "nope", Activations: 5}, http.StatusNotFound}, // unknown SKU: 404 in the httpserve table
		{MintRequest{Type: "mak", SKU: "suite-pro"}, http.StatusBadRequest},
	} {
		if status, body := e.post("/v1/admin/mint", testToken, bad.req); status != bad.status {
			t.Errorf("mint %+v: HTTP %d %s, want %d", bad.req, status, body, bad.status)
		}
	}

	// A service without a token refuses every admin call.
	s, err := New(e.auth, e.led, Options{Now: func() time.Time { return now }, LogDir: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	ts := httptest.NewServer(s.Handler())
	defer ts.Close()
	c := &ServiceClient{URL: ts.URL, Token: " "}
	if _, err := c.Remaining(context.Background(), res.Keys[0]); hresult.CodeOf(err) != hresult.Unauthorized {
		t.Errorf("admin call on a service without token: %v", err)
	}
}

func TestDatabaseDown(t *testing.T) {
	e := newEnv(t, "")
	key := e.mint(productkey.MAK, "suite-pro", 5)
	if status, body := e.do("GET", "/healthz", "", "", nil); status != 200 || string(body) != "ok\n" {
		t.Fatalf("healthz: HTTP %d %q", status, body)
	}
	e.led.Close()
	_, status, herr := e.activate(makReq(key, "suite-pro", "hw-1"))
	wantRefused(t, status, herr, http.StatusServiceUnavailable, hresult.ServiceFailure)
	if status, body := e.do("GET", "/healthz", "", "", nil); status != http.StatusServiceUnavailable || errorOf(t, body).Code != hresult.ServiceFailure {
		t.Errorf("healthz with the database down: HTTP %d %s", status, body)
	}
	if status, body := e.post("/v1/admin/remaining", testToken, KeyRequest{Key: key}); status != http.StatusServiceUnavailable {
		t.Errorf("remaining with the database down: HTTP %d %s", status, body)
	}
}

func TestProxyExchange(t *testing.T) {
	e := newEnv(t, "")
	key := e.mint(productkey.MAK, "server-std", 1)
	req := makReq(key, "server-std", "offline-1")
	req.ClientTime = now.Add(-10 * 24 * time.Hour) // written ten days ago
	text, err := protocol.EncodeText(protocol.RequestPrefix, req)
	if err != nil {
		t.Fatal(err)
	}
	c := &ServiceClient{URL: e.ts.URL}
	for i := range 2 { // the second exchange (a replay) spends nothing
		conf, err := c.Proxy(context.Background(), text)
		if err != nil {
			t.Fatalf("exchange %d: %v", i+1, err)
		}
		var env protocol.Envelope
		if err := protocol.DecodeText(protocol.ConfirmationPrefix, conf, &env); err != nil {
			t.Fatal(err)
		}
		body, _ := json.Marshal(env)
		if g := e.open(body); g.HardwareID != "offline-1" || g.SKU != "server-std" || g.Kind != protocol.KindMAK {
			t.Errorf("confirmation grant %+v", g)
		}
	}
	if st := e.remaining(key); st.Used != 1 {
		t.Errorf("after a replayed exchange: %+v, want 1 used", st)
	}
	// The rules of an online activation apply.
	other, _ := protocol.EncodeText(protocol.RequestPrefix, makReq(key, "server-std", "offline-2"))
	if _, err := c.Proxy(context.Background(), other); hresult.CodeOf(err) != hresult.KeyExhausted {
		t.Errorf("exchange beyond the limit: %v, want %v", err, hresult.KeyExhausted)
	}
	noKeyIn(t, "service log", e.logs.String(), key)
}

func TestServiceClientAgainstAdmin(t *testing.T) {
	e := newEnv(t, "")
	key := e.mint(productkey.MAK, "suite-pro", 3)
	if _, _, herr := e.activate(makReq(key, "suite-pro", "hw-1")); herr != nil {
		t.Fatal(herr)
	}
	ctx := context.Background()
	remote := &ServiceClient{URL: e.ts.URL + "/", Token: testToken}
	local := &Admin{Authority: e.auth, Ledger: e.led, Now: func() time.Time { return now }}
	for name, api := range map[string]AdminAPI{"remote": remote, "local": local} {
		st, err := api.Remaining(ctx, strings.ToLower(key))
		if err != nil || st != (KeyStatus{Used: 1, Limit: 3, Remaining: 2}) {
			t.Errorf("%s Remaining: %+v %v", name, st, err)
		}
	}
	if _, err := (&ServiceClient{URL: e.ts.URL, Token: "nope"}).Block(ctx, key); hresult.CodeOf(err) != hresult.Unauthorized {
		t.Errorf("Block with a wrong token: %v", err)
	}
	st, err := remote.Block(ctx, key)
	if err != nil || !st.Blocked {
		t.Fatalf("Block: %+v %v", st, err)
	}
	if st, err := local.Remaining(ctx, key); err != nil || !st.Blocked {
		t.Errorf("after a remote block, the ledger says %+v %v", st, err)
	}
	if _, err := remote.Block(ctx, e.mint(productkey.KMSClient, "suite-pro", 0)); hresult.CodeOf(err) != hresult.BadRequest {
		t.Errorf("blocking a KMS client key: %v", err)
	}
	// Nothing listens on a closed listener's port.
	ln, _ := net.Listen("tcp", "127.0.0.1:0")
	dead := "http://" + ln.Addr().String()
	ln.Close()
	if _, err := (&ServiceClient{URL: dead, Token: "t"}).Remaining(ctx, key); hresult.CodeOf(err) != hresult.NoHost {
		t.Errorf("unreachable service: %v, want %v", err, hresult.NoHost)
	}
}

func TestMetricsAndLogs(t *testing.T) {
	e := newEnv(t, "")
	key := e.mint(productkey.MAK, "suite-pro", 1)
	e.activate(makReq(key, "suite-pro", "hw-1"))
	e.activate(makReq(key, "suite-pro", "hw-2"))
	status, body := e.do("GET", "/metrics", "", "", nil)
	if status != 200 {
		t.Fatalf("metrics: HTTP %d", status)
	}
	for _, want := range []string{
		`volact_service_activations_total{code="0x00000000",kind="activate"} 1`,
		`volact_service_activations_total{code="0xC004C020",kind="activate"} 1`,
		`volact_service_request_duration_seconds_count{method="POST",route="/v1/activate",status="403"} 1`,
	} {
		if !strings.Contains(string(body), want) {
			t.Errorf("metrics lack %s", want)
		}
	}
	logs := e.logs.String()
	if !strings.Contains(logs, key[len(key)-5:]) || !strings.Contains(logs, "0xC004C020") {
		t.Errorf("log does not name the key's last 5 and the refusal:\n%s", logs)
	}
	noKeyIn(t, "service log", logs, key)
}

func TestServeShutdown(t *testing.T) {
	e := newEnv(t, "")
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- e.srv.Serve(ctx, ln) }()
	resp, err := http.Get("http://" + ln.Addr().String() + "/healthz")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	cancel()
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("Serve after cancel: %v", err)
		}
	case <-time.After(httpserve.ShutdownTimeout + 5*time.Second):
		t.Fatal("Serve did not return after cancel")
	}
	if _, err := http.Get("http://" + ln.Addr().String() + "/healthz"); err == nil {
		t.Error("the service still answers after shutdown")
	}
}
