package protocol

import (
	"errors"
	"testing"

	"github.com/volact/volact/internal/hresult"
)

func TestRefusesSources(t *testing.T) {
	for _, tc := range []struct {
		name string
		err  error
		want bool
	}{
		{"online, older service", hresult.New(hresult.BadRequest, `request body is not valid JSON for this endpoint: unknown field "sources"`), true},
		{"proxy, older service", hresult.New(hresult.BadRequest, `installation request text does not hold a valid installation request: unknown field "sources"`), true},
		{"another unknown field", hresult.New(hresult.BadRequest, `request body is not valid JSON for this endpoint: unknown field "x"`), false},
		{"sources refused by a current service", hresult.New(hresult.BadRequest, "activation request's identity sources are not the ones its nonce commits to"), false},
		{"another code", hresult.New(hresult.KeyExhausted, `unknown field "sources"`), false},
		{"not an hresult", errors.New(`unknown field "sources"`), false},
		{"nil", nil, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := RefusesSources(tc.err); got != tc.want {
				t.Errorf("RefusesSources = %v, want %v", got, tc.want)
			}
		})
	}
}

func TestWithoutSourcesText(t *testing.T) {
	req := sampleRequest()
	req.Sources, req.Nonce = committed(req.HardwareID, testSources())
	text, err := EncodeText(RequestPrefix, req)
	if err != nil {
		t.Fatal(err)
	}
	older, err := WithoutSourcesText(text)
	if err != nil {
		t.Fatal(err)
	}
	var got InstallationRequest
	if err := DecodeText(RequestPrefix, older, &got); err != nil {
		t.Fatal(err)
	}
	if got.Sources != nil || got.Nonce != req.Nonce || got.Key != req.Key || got.HardwareID != req.HardwareID || !got.ClientTime.Equal(req.ClientTime) {
		t.Fatalf("without sources: %+v\nfrom %+v", got, req)
	}
	if _, err := WithoutSourcesText("VC1-abc"); hresult.CodeOf(err) != hresult.BadRequest {
		t.Fatalf("confirmation text: %v, want BadRequest", err)
	}
}
