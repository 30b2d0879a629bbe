package protocol

import (
	"encoding/base64"
	"encoding/json"
	"fmt"
	"strings"
	"unicode"

	"github.com/volact/volact/internal/hresult"
	"github.com/volact/volact/internal/jsonstrict"
)

// Prefixes of the text forms used for proxy (offline) activation.
const (
	RequestPrefix      = "VA1-" // an InstallationRequest
	ConfirmationPrefix = "VC1-" // an Envelope holding the Grant
)

// MaxTextSize bounds the text DecodeText accepts, whitespace removed.
const MaxTextSize = 2 * MaxEnvelopeSize

var textNames = map[string]string{
	RequestPrefix:      "installation request",
	ConfirmationPrefix: "confirmation",
}

// EncodeText returns v as one line: prefix followed by the unpadded
// base64url of v's JSON. It is short enough to copy by hand or mail.
func EncodeText(prefix string, v any) (string, error) {
	data, err := json.Marshal(v)
	if err != nil {
		return "", fmt.Errorf("encode %s: %w", textName(prefix), err)
	}
	return prefix + base64.RawURLEncoding.EncodeToString(data), nil
}

// DecodeText reads text made by EncodeText with the same prefix into v. It
// ignores all whitespace (copy and paste breaks lines), accepts the prefix
// in any case and refuses unknown fields. Failures are hresult.BadRequest.
func DecodeText(prefix, s string, v any) error {
	name := textName(prefix)
	s = strings.Map(func(r rune) rune {
		if unicode.IsSpace(r) {
			return -1
		}
		return r
	}, s)
	if len(s) > MaxTextSize {
		return hresult.Newf(hresult.BadRequest, "%s text is too long (%d characters, limit %d)", name, len(s), MaxTextSize)
	}
	if !hasPrefixFold(s, prefix) {
		for other, otherName := range textNames {
			if other != prefix && hasPrefixFold(s, other) {
				return hresult.Newf(hresult.BadRequest, "this is %s text (%s...), not %s text", article(otherName), other, article(name)).
					WithHint(fmt.Sprintf("%s text starts with %s", name, prefix))
			}
		}
		return hresult.Newf(hresult.BadRequest, "%s text must start with %s", name, prefix)
	}
	data, err := base64.RawURLEncoding.DecodeString(strings.TrimRight(s[len(prefix):], "="))
	if err != nil {
		return hresult.Newf(hresult.BadRequest, "%s text is damaged: some characters are missing or mistyped", name).
			WithHint("copy the whole text again")
	}
	if err := jsonstrict.DecodeInto(data, v); err != nil {
		return hresult.Newf(hresult.BadRequest, "%s text does not hold a valid %s: %s", name, name, jsonstrict.Reason(err))
	}
	return nil
}

func hasPrefixFold(s, prefix string) bool {
	return len(s) >= len(prefix) && strings.EqualFold(s[:len(prefix)], prefix)
}

func textName(prefix string) string {
	if n, ok := textNames[prefix]; ok {
		return n
	}
	return "activation"
}

func article(noun string) string {
	if strings.ContainsRune("aeiou", rune(noun[0])) {
		return "an " + noun
	}
	return "a " + noun
}
