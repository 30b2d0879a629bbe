package httpserve_test

import (
	"net/http/httptest"
	"testing"

	"github.com/volact/volact/internal/httpserve"
)

// TestAuthorized: the admin token counts only as "Authorization: Bearer
// <token>"; never in the URL (logs and browser history keep URLs), never
// with another scheme, and an empty server token authorizes no one.
func TestAuthorized(t *testing.T) {
	const token = "s3cret-token"
	for _, tc := range []struct {
		name, url, header, token string
		want                     bool
	}{
		{"bearer", "/", "Bearer " + token, token, true},
		{"bearer with trailing space", "/", "Bearer " + token + " ", token, true},
		{"wrong token", "/", "Bearer nope", token, false},
		{"a prefix of the token", "/", "Bearer s3cret", token, false},
		{"no header", "/", "", token, false},
		{"basic scheme", "/", "Basic " + token, token, false},
		{"token alone", "/", token, token, false},
		{"token in the query string", "/?token=" + token, "", token, false},
		{"access_token in the query string", "/?access_token=" + token, "", token, false},
		{"empty server token", "/", "Bearer ", "", false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := httptest.NewRequest("GET", tc.url, nil)
			if tc.header != "" {
				r.Header.Set("Authorization", tc.header)
			}
			if got := httpserve.Authorized(r, tc.token); got != tc.want {
				t.Errorf("Authorized = %v, want %v", got, tc.want)
			}
		})
	}
}
