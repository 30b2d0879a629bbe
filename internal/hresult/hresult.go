// Package hresult defines volact's error codes and exit codes.
//
// Codes reuse the well-known volume-activation HRESULT values where the
// meaning is the same, so that admins' searches and scripts keep working.
// Codes that volact adds use the customer range 0xE056xxxx.
//
// An [*Error] carries a code, the exit status the CLI returns for it, a
// one-line message and an optional hint. Errors are created deep in the
// code and printed once, at the top.
package hresult

import (
	"errors"
	"fmt"
	"sort"
)

// Exit statuses returned by the volact binary (design §8).
const (
	ExitOK          = 0 // success
	ExitInternal    = 1 // internal error
	ExitUsage       = 2 // bad command line
	ExitInvalid     = 3 // invalid input: key, argument, file
	ExitUnreachable = 4 // no host or service reachable
	ExitRefused     = 5 // refused by host or service
	ExitNotLicensed = 6 // not licensed (status checks with --check)
	ExitStore       = 7 // store locked, corrupt or tampered
)

// Code is an HRESULT-style error code, printed as 0xC004F050.
type Code uint32

// The codes volact uses.
const (
	OK                Code = 0x00000000
	InvalidKey        Code = 0xC004F050 // product key is invalid
	SKUNotFound       Code = 0xC004F069 // product SKU not found
	NoHost            Code = 0xC004F074 // no KMS host or service could be contacted
	CountTooLow       Code = 0xC004F038 // KMS count below threshold
	ClockSkew         Code = 0xC004F06C // client and host clocks differ by more than 4 hours
	KeyNotFound       Code = 0xC004C001 // key unknown to the service or forged
	KeyBlocked        Code = 0xC004C003 // key blocked
	HostKeyLimit      Code = 0xC004C008 // KMS host key activation limit reached
	KeyExhausted      Code = 0xC004C020 // MAK activation count exhausted
	RearmExhausted    Code = 0xC004D307 // rearm limit reached
	GraceExpired      Code = 0xC004F009 // grace period expired (notification reason)
	NoSRV             Code = 0x8007232B // no DNS SRV record for _vlmcs._tcp
	StoreTampered     Code = 0xC004D301 // trusted store corrupt or tampered
	KeyNotInstalled   Code = 0xC004F014 // no product key installed
	InvalidArg        Code = 0x80070057 // the parameter is incorrect
	Internal          Code = 0x80004005 // unspecified failure
	RearmNotAllowed   Code = 0xE0560001 // rearm refused: product is activated
	StoreLocked       Code = 0xE0560002 // store locked by another process
	CatalogInvalid    Code = 0xE0560003 // catalog signature or content invalid
	NoCatalog         Code = 0xE0560004 // no catalog installed
	WrongMachine      Code = 0xE0560005 // grant or confirmation for another machine or SKU
	BadSignature      Code = 0xE0560006 // signature or certificate invalid
	ServiceFailure    Code = 0xE0560007 // the service could not complete the request
	KMSHostKeyRefused Code = 0xE0560008 // a KMS host key given to a client verb
	BadRequest        Code = 0xE0560009 // malformed request
	Unauthorized      Code = 0xE056000A // admin token missing or wrong
	// LogForked: a server's transparency log is not an extension of the
	// tree the client saw before (a rewritten or replaced history).
	LogForked Code = 0xE0560010
)

type info struct {
	text string
	exit int
}

var table = map[Code]info{
	OK:                {"the operation completed successfully", ExitOK},
	InvalidKey:        {"the product key is invalid", ExitInvalid},
	SKUNotFound:       {"the product SKU is not found in the catalog", ExitInvalid},
	NoHost:            {"no KMS host or activation service could be contacted", ExitUnreachable},
	CountTooLow:       {"the count reported by the KMS host is insufficient", ExitRefused},
	ClockSkew:         {"the time on the client and the host differ by more than 4 hours", ExitRefused},
	KeyNotFound:       {"the product key is not recognised by the activation service", ExitRefused},
	KeyBlocked:        {"the product key has been blocked", ExitRefused},
	HostKeyLimit:      {"the KMS host key has been activated the maximum number of times", ExitRefused},
	KeyExhausted:      {"the product key has exceeded its activation count", ExitRefused},
	RearmExhausted:    {"the maximum allowed number of rearms has been exceeded", ExitRefused},
	GraceExpired:      {"the grace period expired", ExitNotLicensed},
	NoSRV:             {"no KMS host is published in DNS (no _vlmcs._tcp SRV record)", ExitUnreachable},
	StoreTampered:     {"the license store is corrupt or has been tampered with", ExitStore},
	KeyNotInstalled:   {"no product key is installed", ExitInvalid},
	InvalidArg:        {"the parameter is incorrect", ExitUsage},
	Internal:          {"internal error", ExitInternal},
	RearmNotAllowed:   {"rearm is not allowed while the product is activated", ExitRefused},
	StoreLocked:       {"the license store is locked by another volact process", ExitStore},
	CatalogInvalid:    {"the product catalog is invalid or its signature does not verify", ExitInvalid},
	NoCatalog:         {"no product catalog is installed", ExitInvalid},
	WrongMachine:      {"the grant or confirmation was issued for another machine or product", ExitInvalid},
	BadSignature:      {"a signature or certificate did not verify", ExitInvalid},
	ServiceFailure:    {"the activation service could not complete the request", ExitUnreachable},
	KMSHostKeyRefused: {"a KMS host key cannot be installed on a client", ExitInvalid},
	BadRequest:        {"the request is malformed", ExitInvalid},
	Unauthorized:      {"the admin token is missing or wrong", ExitRefused},
	LogForked:         {"the server's transparency log contradicts a checkpoint it signed before (forked history)", ExitRefused},
}

// String formats c as upper-case hex, 0xC004F050.
func (c Code) String() string { return fmt.Sprintf("0x%08X", uint32(c)) }

// Text is the one-line description of c (what ddescr prints).
func (c Code) Text() string {
	if i, ok := table[c]; ok {
		return i.text
	}
	return "unknown error code"
}

// Known reports whether c is one of volact's codes.
func (c Code) Known() bool { _, ok := table[c]; return ok }

// Exit is the default exit status for c.
func (c Code) Exit() int {
	if i, ok := table[c]; ok {
		return i.exit
	}
	return ExitInternal
}

// All lists every known code in ascending order.
func All() []Code {
	out := make([]Code, 0, len(table))
	for c := range table {
		out = append(out, c)
	}
	sort.Slice(out, func(i, j int) bool { return out[i] < out[j] })
	return out
}

// Parse reads a code written as 0xC004F050, C004F050 or a decimal number.
func Parse(s string) (Code, error) {
	var v uint64
	var err error
	switch {
	case len(s) > 2 && (s[:2] == "0x" || s[:2] == "0X"):
		_, err = fmt.Sscanf(s[2:], "%x", &v)
	default:
		_, err = fmt.Sscanf(s, "%x", &v)
	}
	if err != nil || v > 0xFFFFFFFF {
		return 0, fmt.Errorf("%q is not an error code (want hex such as 0xC004F074)", s)
	}
	return Code(v), nil
}

// Error is an error with a stable code, an exit status and a hint.
type Error struct {
	Code Code   // stable code, printed as 0x...
	Exit int    // exit status for the CLI
	Msg  string // one line: what is wrong; never contains a full product key
	Hint string // optional: what to do about it
	Err  error  // optional wrapped cause
	// CurrentCount is the KMS count a host reported, or -1 when unknown.
	CurrentCount int
}

// New returns an *Error with code's default exit status.
func New(code Code, msg string) *Error {
	return &Error{Code: code, Exit: code.Exit(), Msg: msg, CurrentCount: -1}
}

// Newf is New with formatting.
func Newf(code Code, format string, args ...any) *Error {
	return New(code, fmt.Sprintf(format, args...))
}

// Wrap returns an *Error for code whose cause is err.
func Wrap(code Code, err error, msg string) *Error {
	e := New(code, msg)
	e.Err = err
	return e
}

// WithHint sets the hint and returns e.
func (e *Error) WithHint(h string) *Error { e.Hint = h; return e }

// WithExit sets the exit status and returns e.
func (e *Error) WithExit(code int) *Error { e.Exit = code; return e }

func (e *Error) Error() string {
	msg := e.Msg
	if msg == "" {
		msg = e.Code.Text()
	}
	if e.Err != nil {
		msg += ": " + e.Err.Error()
	}
	return msg
}

func (e *Error) Unwrap() error { return e.Err }

// Is makes errors.Is(err, hresult.New(code, "")) match on the code alone.
func (e *Error) Is(target error) bool {
	t, ok := target.(*Error)
	return ok && t.Code == e.Code
}

// From finds the *Error in err's chain. An error without one becomes an
// Internal error with exit status 1.
func From(err error) *Error {
	if err == nil {
		return nil
	}
	var e *Error
	if errors.As(err, &e) {
		return e
	}
	return Wrap(Internal, err, "internal error")
}

// CodeOf returns the code in err's chain, or Internal.
func CodeOf(err error) Code { return From(err).Code }

// Sentinel returns a matcher for errors.Is: errors.Is(err, hresult.Sentinel(KeyBlocked)).
func Sentinel(c Code) error { return &Error{Code: c} }
