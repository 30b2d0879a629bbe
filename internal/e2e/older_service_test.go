package e2e_test

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"testing"

	"github.com/volact/volact/internal/hresult"
	"github.com/volact/volact/internal/httpserve"
	"github.com/volact/volact/internal/protocol"
)

// olderService fronts the service at target as a service older than
// identity sources answers: its strict decoder refuses an activation
// request, or an installation request text, that carries "sources" with
// the messages that release gives (400, 0xE0560009); everything else goes
// through.
func olderService(t *testing.T, target string) *httptest.Server {
	t.Helper()
	u, err := url.Parse(target)
	if err != nil {
		t.Fatal(err)
	}
	fwd := httputil.NewSingleHostReverseProxy(u)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, err := io.ReadAll(r.Body)
		if err != nil {
			t.Error(err)
			return
		}
		r.Body = io.NopCloser(bytes.NewReader(body))
		var fields map[string]json.RawMessage
		refused := ""
		switch r.URL.Path {
		case "/v1/activate":
			if json.Unmarshal(body, &fields) == nil && fields["sources"] != nil {
				refused = `request body is not valid JSON for this endpoint: unknown field "sources"`
			}
		case "/v1/proxy":
			var pr struct{ Request string }
			if json.Unmarshal(body, &pr) == nil && protocol.DecodeText(protocol.RequestPrefix, pr.Request, &fields) == nil && fields["sources"] != nil {
				refused = `installation request text does not hold a valid installation request: unknown field "sources"`
			}
		}
		if refused != "" {
			httpserve.WriteError(w, hresult.New(hresult.BadRequest, refused))
			return
		}
		fwd.ServeHTTP(w, r)
	}))
	t.Cleanup(srv.Close)
	return srv
}

// TestClientBeforeService: clients are upgraded before servers (README),
// so a client that sends its identity sources must still activate a MAK
// against a service older than them, online and through proxy, which
// refuses the field: it asks again without sources, and the older service
// knows the machine by its hardware id, as it always did.
func TestClientBeforeService(t *testing.T) {
	lab := newCloneLab(t, 3, clonedVM)
	older := olderService(t, lab.url)
	online := append(lab.clone(clonedVM), "VOLACT_SERVICE="+older.URL)
	if code, out, errOut := volactRun(t, online, "act"); code != 0 {
		t.Fatalf("act against an older service: exit %d\n%s%s", code, out, errOut)
	}
	lab.url = older.URL // mak proxy goes to the older service
	proxyActivate(t, lab, lab.clone(cloneOfVM(1, 1)))
	if got := lab.used(); got != 1 {
		t.Fatalf("%d activations used, want 1 (an older service knows machines by hardware id)", got)
	}
}
