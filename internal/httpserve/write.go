package httpserve

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"net/http"
	"strconv"
	"sync"

	"github.com/volact/volact/internal/hresult"
	"github.com/volact/volact/internal/protocol"
	"golang.org/x/mod/sumdb/tlog"
)

// jsonContentType is the Content-Type of every JSON answer.
var jsonContentType = []string{"application/json"}

// bufPool holds the buffers answers are encoded into and bodies read into.
var bufPool = sync.Pool{New: func() any { return new(bytes.Buffer) }}

// WriteJSON sends v as JSON, followed by a newline, with status and a
// Content-Length. A protocol.Envelope (or *protocol.Envelope) is written
// without reflection (its fields are base64, which JSON carries as is),
// byte for byte what encoding/json writes. If v cannot be encoded the
// answer is a 500 Internal error instead.
func WriteJSON(w http.ResponseWriter, status int, v any) {
	buf := bufPool.Get().(*bytes.Buffer)
	defer bufPool.Put(buf)
	buf.Reset()
	switch env := v.(type) {
	case *protocol.Envelope:
		appendEnvelope(buf, env)
	case protocol.Envelope:
		appendEnvelope(buf, &env)
	default:
		if err := json.NewEncoder(buf).Encode(v); err != nil {
			buf.Reset()
			status = http.StatusInternalServerError
			_ = json.NewEncoder(buf).Encode(protocol.ErrorFrom(hresult.Wrap(hresult.Internal, err, "encode answer")))
		}
	}
	h := w.Header()
	h["Content-Type"] = jsonContentType
	h["Content-Length"] = []string{strconv.Itoa(buf.Len())}
	w.WriteHeader(status)
	_, _ = w.Write(buf.Bytes())
}

// appendEnvelope writes env as encoding/json would, when its string
// fields need no escaping (base64); otherwise through encoding/json.
func appendEnvelope(buf *bytes.Buffer, env *protocol.Envelope) {
	if !plain(env.Payload) || !plain(env.Signature) || !plain(env.Certificate) {
		_ = json.NewEncoder(buf).Encode(env)
		return
	}
	buf.WriteString(`{"payload":"`)
	buf.WriteString(env.Payload)
	if env.Signature != "" {
		buf.WriteString(`","signature":"`)
		buf.WriteString(env.Signature)
	}
	buf.WriteByte('"')
	if r := env.Receipt; r != nil {
		buf.WriteString(`,"receipt":{"index":`)
		buf.Write(strconv.AppendInt(buf.AvailableBuffer(), r.Index, 10))
		buf.WriteString(`,"checkpoint":`)
		appendBase64(buf, r.Checkpoint)
		buf.WriteString(`,"proof":`)
		appendHashes(buf, r.Proof)
		buf.WriteByte('}')
	}
	if c := env.Consistency; c != nil {
		buf.WriteString(`,"consistency":{"from":`)
		buf.Write(strconv.AppendInt(buf.AvailableBuffer(), c.From, 10))
		buf.WriteString(`,"proof":`)
		appendHashes(buf, c.Proof)
		buf.WriteByte('}')
	}
	buf.WriteString(`,"certificate":"`)
	buf.WriteString(env.Certificate)
	buf.WriteString("\"}\n")
}

// appendBase64 writes b as a JSON string of its standard base64, as
// encoding/json writes a []byte (null when nil).
func appendBase64(buf *bytes.Buffer, b []byte) {
	if b == nil {
		buf.WriteString("null")
		return
	}
	buf.WriteByte('"')
	buf.Write(base64.StdEncoding.AppendEncode(buf.AvailableBuffer(), b))
	buf.WriteByte('"')
}

// appendHashes writes hashes as encoding/json writes a []tlog.Hash: an
// array of base64 strings, null when nil.
func appendHashes(buf *bytes.Buffer, hashes []tlog.Hash) {
	if hashes == nil {
		buf.WriteString("null")
		return
	}
	buf.WriteByte('[')
	for i, h := range hashes {
		if i > 0 {
			buf.WriteByte(',')
		}
		appendBase64(buf, h[:])
	}
	buf.WriteByte(']')
}

// plain reports whether s holds only characters that encoding/json writes
// unescaped in a string and that base64 uses.
func plain(s string) bool {
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !('A' <= c && c <= 'Z' || 'a' <= c && c <= 'z' || '0' <= c && c <= '9' || c == '+' || c == '/' || c == '=' || c == '-' || c == '_') {
			return false
		}
	}
	return true
}

// WriteError sends err as a protocol.ErrorResponse with the status of
// [StatusOf]. An answer of status 500 or more carries the error's code,
// message and hint but not its wrapped cause (a database error, a path),
// which belongs in the server's log; Internal errors say only "internal
// error" (protocol.ErrorFrom). It does not log: a [Router] does.
func WriteError(w http.ResponseWriter, err error) {
	status := StatusOf(err)
	WriteJSON(w, status, protocol.ErrorFrom(wireError(status, err)))
}

// wireError is the part of err that may leave the server.
func wireError(status int, err error) error {
	e := hresult.From(err)
	if status < 500 || e.Err == nil {
		return e
	}
	out := hresult.New(e.Code, e.Msg).WithHint(e.Hint)
	out.CurrentCount = e.CurrentCount
	return out
}
