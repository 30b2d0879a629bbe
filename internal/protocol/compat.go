package protocol

import (
	"errors"
	"strings"

	"github.com/volact/volact/internal/hresult"
)

// RefusesSources reports whether err is an activation service's refusal
// of a request because it carries ActivationRequest.Sources: the answer of
// a service older than that field, whose strict decoder refuses a field it
// does not know (hresult.BadRequest naming the unknown field "sources"),
// online and for installation request text alike. Clients are upgraded
// before servers, so a client that gets it sends the request again
// without sources, as the clients before them did: such a service knows
// machines by their hardware id alone anyway. The nonce still commits to
// the sources, so the identity the client records with the grant is
// checked as before. A current service never answers this, so the retry
// cannot take a request past its clone check.
func RefusesSources(err error) bool {
	var he *hresult.Error
	return errors.As(err, &he) && he.Code == hresult.BadRequest && strings.Contains(he.Msg, `unknown field "sources"`)
}

// WithoutSourcesText returns installation request text (VA1-..., made by
// EncodeText) with its identity sources removed and everything else kept,
// for a service older than them (see RefusesSources). Failures are
// hresult.BadRequest, as DecodeText's.
func WithoutSourcesText(text string) (string, error) {
	var req InstallationRequest
	if err := DecodeText(RequestPrefix, text, &req); err != nil {
		return "", err
	}
	req.Sources = nil
	return EncodeText(RequestPrefix, req)
}
