package protocol

import (
	"reflect"
	"strings"
	"testing"

	"github.com/volact/volact/internal/hresult"
)

// mangle inserts what copy and paste through mail and terminals adds:
// line breaks every 16 characters, indentation and stray spaces.
func mangle(s string) string {
	var b strings.Builder
	b.WriteString("  \r\n\t")
	for i, r := range s {
		if i > 0 && i%16 == 0 {
			b.WriteString("\r\n    ")
		}
		if i%37 == 5 {
			b.WriteByte(' ')
		}
		b.WriteRune(r)
	}
	b.WriteString("\n\n")
	return b.String()
}

func TestInstallationRequestText(t *testing.T) {
	req := sampleRequest()
	text, err := EncodeText(RequestPrefix, req)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(text, "VA1-") || strings.ContainsAny(text, " \n=+/") {
		t.Errorf("text %q is not one base64url line after VA1-", text)
	}
	for name, in := range map[string]string{
		"as printed":          text,
		"mangled by paste":    mangle(text),
		"lower-case prefix":   "va1-" + text[4:],
		"with base64 padding": text + "==",
	} {
		t.Run(name, func(t *testing.T) {
			var got InstallationRequest
			if err := DecodeText(RequestPrefix, in, &got); err != nil {
				t.Fatalf("DecodeText: %v", err)
			}
			if !reflect.DeepEqual(got, req) {
				t.Errorf("got %+v, want %+v", got, req)
			}
		})
	}
}

func TestConfirmationText(t *testing.T) {
	root, svc := testKey(1), testKey(2)
	env := seal(t, sampleGrant(), svc, certFor(t, root, svc, now))
	text, err := EncodeText(ConfirmationPrefix, env)
	if err != nil {
		t.Fatal(err)
	}
	var got Envelope
	if err := DecodeText(ConfirmationPrefix, mangle(text), &got); err != nil {
		t.Fatalf("DecodeText: %v", err)
	}
	var g Grant
	if _, err := Open(got, pub(root), now, &g); err != nil || g != sampleGrant() {
		t.Errorf("Open after text round trip: %v, %+v", err, g)
	}
}

func TestDecodeTextRefuses(t *testing.T) {
	req, _ := EncodeText(RequestPrefix, sampleRequest())
	conf, _ := EncodeText(ConfirmationPrefix, Envelope{Payload: "p", Signature: "s", Certificate: "c"})
	extra, _ := EncodeText(RequestPrefix, map[string]any{"version": 1, "admin": true})
	tests := []struct {
		name, prefix, text, want string
	}{
		{"confirmation given as request", RequestPrefix, conf, "this is a confirmation text (VC1-...), not an installation request text"},
		{"request given as confirmation", ConfirmationPrefix, req, "this is an installation request text (VA1-...), not a confirmation text"},
		{"no prefix", RequestPrefix, req[4:], "must start with VA1-"},
		{"empty", RequestPrefix, "  \n", "must start with VA1-"},
		{"truncated", RequestPrefix, req[:len(req)-7], "does not hold a valid installation request"},
		{"mistyped symbol", RequestPrefix, req[:20] + "!" + req[21:], "damaged"},
		{"unknown field", RequestPrefix, extra, `unknown field "admin"`},
		{"too long", RequestPrefix, "VA1-" + strings.Repeat("A", MaxTextSize), "too long"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var got ActivationRequest
			err := DecodeText(tt.prefix, tt.text, &got)
			wantCode(t, err, hresult.BadRequest, tt.want)
			if !reflect.DeepEqual(got, ActivationRequest{}) {
				t.Errorf("half-decoded request left behind: %+v", got)
			}
		})
	}
}
