package mak

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"testing"

	"github.com/volact/volact/internal/hresult"
	"github.com/volact/volact/internal/productkey"
)

// TestAdminRefusedWithoutToken sends every admin call without the token
// and with every near miss of it: all are refused with 401 and none has an
// effect (no key blocked, nothing minted, no count shown).
func TestAdminRefusedWithoutToken(t *testing.T) {
	e := newEnv(t, "")
	key := e.mint(productkey.MAK, "suite-pro", 5)
	calls := map[string]any{
		"/v1/admin/mint":      MintRequest{Type: "mak", SKU: "suite-pro", Activations: 5, Count: 1},
		"/v1/admin/block":     KeyRequest{Key: key},
		"/v1/admin/remaining": KeyRequest{Key: key},
	}
	headers := map[string]string{
		"none":                "",
		"empty bearer":        "Bearer ",
		"wrong token":         "Bearer wrong",
		"token as basic":      "Basic " + testToken,
		"token without type":  testToken,
		"token prefix":        "Bearer " + testToken[:len(testToken)-1],
		"token and more":      "Bearer " + testToken + "x",
		"lower-case scheme":   "bearer x" + testToken,
		"token in other case": "Bearer " + string(append([]byte{testToken[0] - 32}, testToken[1:]...)),
	}
	refused := 0
	for path, body := range calls {
		for name, h := range headers {
			status, data := postAuth(t, e, path, h, body)
			if status != http.StatusUnauthorized || errorOf(t, data).Code != hresult.Unauthorized {
				t.Errorf("%s with %s: HTTP %d %s, want 401", path, name, status, data)
				continue
			}
			refused++
		}
	}
	if want := len(calls) * len(headers); refused != want {
		t.Errorf("%d of %d admin calls without the token refused", refused, want)
	}
	if st := e.remaining(key); st.Blocked || st.Used != 0 {
		t.Errorf("a refused admin call changed the key: %+v", st)
	}
	// The right token still works, so the refusals were about the token.
	if status, data := e.post("/v1/admin/remaining", testToken, KeyRequest{Key: key}); status != http.StatusOK {
		t.Errorf("remaining with the token: HTTP %d %s", status, data)
	}
}

// postAuth posts v as JSON with the Authorization header auth ("" = none).
func postAuth(t *testing.T, e *testEnv, path, auth string, v any) (int, []byte) {
	t.Helper()
	body, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	req, err := http.NewRequest(http.MethodPost, e.ts.URL+path, bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/json")
	if auth != "" {
		req.Header.Set("Authorization", auth)
	}
	resp, err := e.ts.Client().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return resp.StatusCode, data
}
