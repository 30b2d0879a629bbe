package mak

import (
	"context"
	"crypto/ed25519"
	"errors"
	"io"
	"path/filepath"
	"time"

	"github.com/volact/volact/internal/authority"
	"github.com/volact/volact/internal/hresult"
	"github.com/volact/volact/internal/protocol"
	"github.com/volact/volact/internal/translog"
	"github.com/volact/volact/internal/trueup"
)

// LogDir is the service's transparency log inside the authority directory
// when Options.LogDir is empty. One service process holds a log (it is
// locked while open); replicas on one database each need their own log
// directory (Options.LogDir, mak serve --log), which holds the replica's
// own signing key, else they would sign two histories under one origin.
const LogDir = "log"

// openLog opens the service's transparency log in dir, signed with key
// under translog.Origin(OriginMAK, public key). A log that no longer
// reproduces what it signed is refused with exit 7.
func openLog(dir string, key ed25519.PrivateKey) (*translog.Log, error) {
	opts, err := translog.KeyOptions(translog.OriginMAK, key)
	if err != nil {
		return nil, hresult.Wrap(hresult.Internal, err, "cannot use the service key for the log")
	}
	l, err := translog.Open(dir, opts)
	if err == nil {
		return l, nil
	}
	if errors.Is(err, translog.ErrFork) || errors.Is(err, translog.ErrCorrupt) {
		return nil, hresult.Wrap(hresult.StoreTampered, err, "the transparency log "+dir+" does not reproduce what it signed").
			WithExit(hresult.ExitStore).
			WithHint("the log was edited or damaged: keep it for inspection and restore it from backup; the service will not sign a second history")
	}
	return nil, hresult.Wrap(hresult.Internal, err, "cannot open the transparency log "+dir).WithExit(hresult.ExitStore)
}

// logDir is where a service on authority a keeps its log.
func logDir(a *authority.Authority, o Options) string {
	if o.LogDir != "" {
		return o.LogDir
	}
	return filepath.Join(a.Dir, LogDir)
}

// Close closes the transparency log. Call it after Serve has returned.
func (s *Server) Close() error { return s.tlog.Close() }

// Log returns the service's transparency log (export, tests).
func (s *Server) Log() *translog.Log { return s.tlog }

// logged appends v as the leaf of an answer and returns its envelope
// under the service certificate, with the consistency proof a client
// asked for through known (ActivationRequest.KnownTrees).
func (s *Server) logged(ctx context.Context, v any, now time.Time, known map[string]int64) (protocol.Envelope, error) {
	_, cert, err := s.signer.get(now)
	if err != nil {
		return protocol.Envelope{}, hresult.Wrap(hresult.Internal, err, "cannot load the service certificate")
	}
	payload, err := protocol.EncodePayload(v)
	if err != nil {
		return protocol.Envelope{}, hresult.Wrap(hresult.Internal, err, "cannot encode the answer")
	}
	r, err := s.tlog.Append(ctx, payload)
	if err != nil {
		return protocol.Envelope{}, hresult.Wrap(hresult.ServiceFailure, err, "cannot record the answer in the transparency log")
	}
	env := protocol.Logged(payload, r, cert)
	if from, ok := known[s.tlog.Origin()]; ok {
		if c, err := translog.PeekCheckpoint(r.Checkpoint); err == nil && from <= c.Size {
			if proof, err := s.tlog.ConsistencyProof(from, c.Size); err == nil {
				env.Consistency = &protocol.Consistency{From: from, Proof: proof}
			}
		}
	}
	return env, nil
}

// logRefusal logs a refusal that concerns a licence (a key exhausted or
// blocked, a host key at its limit) and returns answer, the refusal, or
// the log's failure.
func (s *Server) logRefusal(ctx context.Context, answer error, machine, sku, last5 string, now time.Time) error {
	switch hresult.CodeOf(answer) {
	case hresult.KeyExhausted, hresult.KeyBlocked, hresult.HostKeyLimit:
	default:
		return answer
	}
	if _, err := s.logged(ctx, protocol.Refusal{Kind: protocol.KindRefusal, Time: now, Machine: protocol.MachineDigest(machine),
		SKU: sku, KeyLast5: last5, Result: hresult.CodeOf(answer).String(), Count: -1}, now, nil); err != nil {
		return err
	}
	return answer
}

// ExportLedger writes the ledger export of the service of authority a
// whose log is in dir ("" = LogDir in the authority directory; package
// trueup): the service certificate and the whole transparency log. The
// service must not be running on that log (it holds it locked).
func ExportLedger(a *authority.Authority, dir string, now time.Time, w io.Writer) error {
	keyDir := a.Dir
	if dir != "" {
		keyDir = dir
	}
	key, cert, err := a.ServiceSignerIn(keyDir, now)
	if err != nil {
		return err
	}
	l, err := openLog(logDir(a, Options{LogDir: dir}), key)
	if err != nil {
		return err
	}
	defer l.Close()
	if err := trueup.Write(w, []string{cert}, l); err != nil {
		return hresult.Wrap(hresult.Internal, err, "cannot export the ledger")
	}
	return nil
}
