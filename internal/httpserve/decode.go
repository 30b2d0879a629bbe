package httpserve

import (
	"bytes"
	"errors"
	"mime"
	"net/http"
	"strings"
	"unicode/utf8"

	"github.com/volact/volact/internal/hresult"
	"github.com/volact/volact/internal/jsonstrict"
)

// CheckJSON returns nil when r's Content-Type is application/json, with
// no parameter other than charset=utf-8 (any case), and else a
// hresult.BadRequest error answered 415 Unsupported Media Type. JSON is
// UTF-8 (RFC 8259), so another charset is refused too.
func CheckJSON(r *http.Request) error {
	ct := r.Header.Get("Content-Type")
	if ct == "application/json" {
		return nil
	}
	mt, params, err := mime.ParseMediaType(ct)
	if err == nil && mt == "application/json" {
		for k, v := range params {
			if k != "charset" || !strings.EqualFold(v, "utf-8") {
				err = errors.New("parameter")
				break
			}
		}
		if err == nil {
			return nil
		}
	}
	return WithStatus(http.StatusUnsupportedMediaType,
		hresult.New(hresult.BadRequest, "request body must be JSON (Content-Type: application/json)"))
}

// DecodeJSON reads r's body strictly into v, for a POST endpoint:
//
//   - the Content-Type must pass [CheckJSON] (else 415);
//   - the body may hold at most maxBody bytes (0: [DefaultMaxBody]); a
//     longer one is refused with 413 Request Entity Too Large, and the
//     connection is closed after the answer;
//   - the body must be exactly one JSON value that decodes into v with
//     internal/jsonstrict: no unknown field, no duplicate key, no field
//     name that matches only by case, nothing after the value (else 400).
//
// Every error is a hresult.BadRequest whose message says what is wrong,
// ready for [WriteError]. w may be nil. On failure v may be partly filled.
func DecodeJSON(w http.ResponseWriter, r *http.Request, maxBody int64, v any) error {
	if err := CheckJSON(r); err != nil {
		return err
	}
	if maxBody <= 0 {
		maxBody = DefaultMaxBody
	}
	buf := bufPool.Get().(*bytes.Buffer)
	defer bufPool.Put(buf)
	buf.Reset()
	if _, err := buf.ReadFrom(http.MaxBytesReader(w, r.Body, maxBody)); err != nil {
		if _, ok := errors.AsType[*http.MaxBytesError](err); ok {
			return WithStatus(http.StatusRequestEntityTooLarge,
				hresult.Newf(hresult.BadRequest, "request body is larger than %d bytes", maxBody))
		}
		return hresult.Wrap(hresult.BadRequest, err, "cannot read the request body")
	}
	if err := jsonstrict.Decode(buf.Bytes(), v); err != nil {
		return hresult.New(hresult.BadRequest, "request body is not valid JSON for this endpoint: "+clip(jsonstrict.Reason(err)))
	}
	return nil
}

// clip cuts a reason that quotes the request (an unknown field's name) to
// at most 200 bytes, at a character boundary.
func clip(s string) string {
	const max = 200
	if len(s) <= max {
		return s
	}
	s = s[:max]
	for len(s) > 0 && !utf8.ValidString(s) {
		s = s[:len(s)-1]
	}
	return s + "..."
}

// DefaultMaxBody is the request body cap of [DecodeJSON] when a server
// names none.
const DefaultMaxBody = 64 << 10
