package httpserve

import (
	"errors"
	"net/http"

	"github.com/volact/volact/internal/hresult"
)

// statusTable is the one map from error code to HTTP status that both
// servers answer with; see [Status].
var statusTable = map[hresult.Code]int{
	hresult.OK: http.StatusOK,

	// The request is malformed or names something malformed.
	hresult.BadRequest: http.StatusBadRequest,
	hresult.InvalidArg: http.StatusBadRequest,
	hresult.InvalidKey: http.StatusBadRequest,

	hresult.Unauthorized: http.StatusUnauthorized,

	// Refused for what the request is or says: retrying it unchanged
	// cannot succeed.
	hresult.KeyNotFound:       http.StatusForbidden,
	hresult.KeyBlocked:        http.StatusForbidden,
	hresult.KeyExhausted:      http.StatusForbidden,
	hresult.HostKeyLimit:      http.StatusForbidden,
	hresult.KMSHostKeyRefused: http.StatusForbidden,
	hresult.ClockSkew:         http.StatusForbidden,

	hresult.SKUNotFound: http.StatusNotFound,

	// Valid and counted, but the host's state does not allow it yet.
	hresult.CountTooLow: http.StatusConflict,

	// The server cannot serve now (database down, shutting down, not
	// activated, no catalog).
	hresult.ServiceFailure:  http.StatusServiceUnavailable,
	hresult.KeyNotInstalled: http.StatusServiceUnavailable,
	hresult.NoCatalog:       http.StatusServiceUnavailable,

	hresult.Internal: http.StatusInternalServerError,
}

// Status is the HTTP status that goes with error code c in both servers'
// answers. Any code not listed is 500.
//
//	code                                             status
//	0xE0560009 BadRequest, 0x80070057 InvalidArg,    400 Bad Request
//	0xC004F050 InvalidKey
//	0xE056000A Unauthorized (admin token)            401 Unauthorized
//	0xC004C001 KeyNotFound, 0xC004C003 KeyBlocked,   403 Forbidden
//	0xC004C020 KeyExhausted, 0xC004C008 HostKeyLimit,
//	0xE0560008 KMSHostKeyRefused,
//	0xC004F06C ClockSkew
//	0xC004F069 SKUNotFound                           404 Not Found
//	0xC004F038 CountTooLow                           409 Conflict
//	0xE0560007 ServiceFailure, 0xC004F014            503 Service Unavailable
//	KeyNotInstalled (host not activated),
//	0xE0560004 NoCatalog
//	0x80004005 Internal and any other code           500 Internal Server Error
//
// Clock skew is 403, not 409: the request is refused for what it says (a
// client time more than 4 hours off), like a blocked key, and sending it
// again cannot succeed until the client's clock is fixed; 409 is kept for
// the one answer that a retry later can turn into a success without any
// change on the client, a KMS count below its threshold. An unknown SKU is
// 404: the request is well-formed, the product it names does not exist
// here.
//
// Besides the table, [DecodeJSON] answers 413 (body over the cap) and 415
// (body not JSON), a [Router] 404 (no such endpoint) and 405 (wrong
// method), and a server may give one answer its own status with
// [WithStatus] (the KMS host: 403 outside its allowed networks, 404 for a
// group it does not serve).
func Status(c hresult.Code) int {
	if s, ok := statusTable[c]; ok {
		return s
	}
	return http.StatusInternalServerError
}

// statusError gives an error an HTTP status other than its code's.
type statusError struct {
	status int
	err    error
}

// Error is the wrapped error's message.
func (e *statusError) Error() string { return e.err.Error() }

// Unwrap gives errors.As the wrapped *hresult.Error.
func (e *statusError) Unwrap() error { return e.err }

// WithStatus returns err answered with HTTP status instead of the status
// of its code. The code and message of err stay as they are.
func WithStatus(status int, err error) error {
	return &statusError{status: status, err: err}
}

// StatusOf is the HTTP status of err: the one set by [WithStatus], else
// [Status] of its code.
func StatusOf(err error) int {
	var se *statusError
	if errors.As(err, &se) {
		return se.status
	}
	return Status(hresult.CodeOf(err))
}
