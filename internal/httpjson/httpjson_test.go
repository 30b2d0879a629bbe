package httpjson

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/volact/volact/internal/hresult"
)

func TestPost(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/ok":
			if r.Header.Get("Content-Type") != "application/json" || r.Header.Get("Authorization") != "Bearer tok" {
				w.WriteHeader(http.StatusBadRequest)
				return
			}
			_, _ = w.Write([]byte(`{"fine":true}`))
		case "/refused":
			w.WriteHeader(http.StatusForbidden)
			_, _ = w.Write([]byte(`{"error":{"code":"0xC004C020","message":"no activations left"}}`))
		default:
			w.WriteHeader(http.StatusTeapot)
		}
	}))
	defer srv.Close()
	closed := httptest.NewServer(http.NotFoundHandler())
	closedURL := closed.URL
	closed.Close()

	tests := []struct {
		name, url string
		wantCode  hresult.Code
		wantBody  string
	}{
		{"ok", srv.URL + "/ok", 0, `{"fine":true}`},
		{"error answer", srv.URL + "/refused", hresult.KeyExhausted, ""},
		{"not json", srv.URL + "/teapot", hresult.ServiceFailure, ""},
		{"closed port", closedURL + "/ok", hresult.NoHost, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			body, err := Post(context.Background(), srv.Client(), tt.url, "tok", map[string]int{"a": 1})
			if tt.wantCode == 0 {
				if err != nil || string(body) != tt.wantBody {
					t.Fatalf("Post = %q, %v", body, err)
				}
				return
			}
			var e *hresult.Error
			if !errors.As(err, &e) || e.Code != tt.wantCode {
				t.Fatalf("error %v, want code %s", err, tt.wantCode)
			}
		})
	}
}

func TestRedact(t *testing.T) {
	got := Redact("https://admin:secret@svc.example:8443/v1/x?token=abc#frag")
	if strings.Contains(got, "secret") || strings.Contains(got, "abc") || got != "https://svc.example:8443/v1/x" {
		t.Fatalf("Redact = %q", got)
	}
}
