package mak

import (
	"context"
	"crypto/ed25519"
	"encoding/json"
	"net/http"
	"slices"
	"time"

	"golang.org/x/mod/sumdb/tlog"

	"github.com/volact/volact/internal/hresult"
	"github.com/volact/volact/internal/jsonstrict"
	"github.com/volact/volact/internal/ledger"
	"github.com/volact/volact/internal/protocol"
	"github.com/volact/volact/internal/translog"
	"github.com/volact/volact/internal/trueup"
)

// The service witnesses customers' KMS hosts (issue 12, item 7). A host
// reports (volactd kms report) with POST /v1/witness/report: its newest
// checkpoint and its true-up summary in a body it signs with its host key,
// and its certificates, chained to the authority's root, which name that
// key. The service keeps, per host log, the newest checkpoint that extends
// every one before it (ledger.Witness).
//
// The exchange never has the service call the host (hosts sit behind
// firewalls). A report may carry a consistency proof from an older size
// (ProofFrom, Proof). When the service kept a smaller tree and the report
// has no proof from that size, nothing is stored and the answer says
// NeedProof with ProofFrom: the host sends the report again with the
// proof from that size (a second step, once per report at most). A tree
// that is smaller than the kept one, the same size with another root, or
// whose proof fails, is recorded as a conflict: the host is flagged
// inconsistent, the kept checkpoint stays, and the answer says so
// (Consistent false), every time the host reports from then on.

// WitnessDomain prefixes the bytes a host signs: a report signature can
// never be taken for another of the host key's signatures.
const WitnessDomain = "volact witness report v1\n"

// maxWitnessCerts bounds the certificates of a report (one per group).
const maxWitnessCerts = 16

// WitnessReport is the body of POST /v1/witness/report.
type WitnessReport struct {
	Certificates []string       `json:"certificates"` // kms-host certificates naming the signing key
	Body         []byte         `json:"body"`         // JSON of a WitnessBody
	Signature    []byte         `json:"signature"`    // Ed25519 over WitnessDomain + Body
	ProofFrom    int64          `json:"proof_from,omitempty"`
	Proof        tlog.TreeProof `json:"proof,omitempty"` // from ProofFrom to the report's tree
}

// WitnessBody is what a host signs: its log's newest checkpoint and the
// true-up of the tree it signs.
type WitnessBody struct {
	Origin     string              `json:"origin"`
	Checkpoint []byte              `json:"checkpoint"` // signed note of the host's log
	Groups     []trueup.GroupCount `json:"groups"`     // true-up of that tree
	ReportedAt time.Time           `json:"reported_at"`
}

// WitnessAnswer is the answer of POST /v1/witness/report.
type WitnessAnswer struct {
	Origin     string `json:"origin"`
	TreeSize   int64  `json:"tree_size"`  // the tree the service keeps
	Consistent bool   `json:"consistent"` // every report so far extended the ones before
	NeedProof  bool   `json:"need_proof"` // nothing stored: send again with the proof from ProofFrom
	ProofFrom  int64  `json:"proof_from,omitempty"`
}

// WitnessedHost is one line of volactd mak hosts.
type WitnessedHost struct {
	Origin       string              `json:"origin"`
	Host         string              `json:"host"` // the host id its certificate names
	Groups       []string            `json:"groups"`
	TreeSize     int64               `json:"tree_size"`
	ReportedSize int64               `json:"reported_size"`
	FirstReport  time.Time           `json:"first_report"`
	LastReport   time.Time           `json:"last_report"`
	Consistent   bool                `json:"consistent"`
	ConflictAt   time.Time           `json:"conflict_at,omitzero"`
	Conflict     string              `json:"conflict,omitempty"` // the checkpoint that did not extend the kept one
	Checkpoint   string              `json:"checkpoint"`
	TrueUp       []trueup.GroupCount `json:"trueup"`
}

// HostsResponse is the answer of POST /v1/admin/hosts.
type HostsResponse struct {
	Hosts []WitnessedHost `json:"hosts"`
}

// SignWitnessReport builds the report of body, signed with key.
func SignWitnessReport(key ed25519.PrivateKey, certs []string, body WitnessBody) (WitnessReport, error) {
	data, err := json.Marshal(body)
	if err != nil {
		return WitnessReport{}, err
	}
	return WitnessReport{Certificates: certs, Body: data, Signature: ed25519.Sign(key, append([]byte(WitnessDomain), data...))}, nil
}

// witnessed is a report whose signatures were checked.
type witnessed struct {
	subject string
	groups  []string
	body    WitnessBody
	tree    translog.Checkpoint
}

// openReport checks r's certificates against the root, its signature and
// its checkpoint's; every failure is hresult.BadSignature (403).
func (s *Server) openReport(r WitnessReport, now time.Time) (*witnessed, error) {
	if len(r.Certificates) == 0 || len(r.Certificates) > maxWitnessCerts {
		return nil, hresult.Newf(hresult.BadRequest, "a report carries 1 to %d host certificates", maxWitnessCerts)
	}
	var w witnessed
	var key ed25519.PublicKey
	for _, text := range r.Certificates {
		c, err := protocol.VerifyCertificate(text, s.auth.Public(), now)
		if err != nil {
			return nil, err
		}
		if c.Role != protocol.RoleKMSHost || key != nil && !key.Equal(ed25519.PublicKey(c.PublicKey)) {
			return nil, hresult.New(hresult.BadSignature, "the report's certificates are not kms-host certificates of one key")
		}
		key, w.subject = ed25519.PublicKey(c.PublicKey), c.Subject
		w.groups = append(w.groups, c.Groups...)
	}
	slices.Sort(w.groups)
	w.groups = slices.Compact(w.groups)
	if !ed25519.Verify(key, append([]byte(WitnessDomain), r.Body...), r.Signature) {
		return nil, hresult.New(hresult.BadSignature, "the report is not signed by the key its certificates name")
	}
	if err := jsonstrict.Decode(r.Body, &w.body); err != nil {
		return nil, hresult.Newf(hresult.BadRequest, "the report body is malformed: %s", jsonstrict.Reason(err))
	}
	origin := translog.Origin(translog.OriginKMS, key)
	v, err := translog.NewVerifier(origin, key)
	if err != nil {
		return nil, hresult.Wrap(hresult.BadSignature, err, "the host key cannot sign a log")
	}
	if w.tree, err = translog.OpenCheckpoint(w.body.Checkpoint, v); err != nil || w.body.Origin != origin {
		return nil, hresult.New(hresult.BadSignature, "the report's checkpoint is not the host log's, signed by its key")
	}
	return &w, nil
}

// Witness checks a report and keeps its checkpoint (see the exchange
// above). The answer says whether the host's log is still consistent.
func (s *Server) Witness(ctx context.Context, r WitnessReport) (WitnessAnswer, error) {
	now := s.now()
	w, err := s.openReport(r, now)
	if err != nil {
		return WitnessAnswer{}, err
	}
	summary, err := json.Marshal(w.body.Groups)
	if err != nil {
		return WitnessAnswer{}, hresult.Wrap(hresult.Internal, err, "cannot encode the summary")
	}
	ans := WitnessAnswer{Origin: w.tree.Origin}
	err = s.ledger.Witness(ctx, w.tree.Origin, func(prev *ledger.WitnessedHost) (*ledger.WitnessedHost, error) {
		ans = WitnessAnswer{Origin: w.tree.Origin}
		next := ledger.WitnessedHost{Origin: w.tree.Origin, Subject: w.subject, Groups: w.groups, TreeSize: w.tree.Size,
			Checkpoint: string(w.body.Checkpoint), Summary: string(summary), FirstReport: now, LastReport: now,
			ReportedSize: w.tree.Size, Consistent: true}
		if prev == nil {
			ans.TreeSize, ans.Consistent = next.TreeSize, true
			return &next, nil
		}
		next.FirstReport, next.Consistent, next.Conflict, next.ConflictAt = prev.FirstReport, prev.Consistent, prev.Conflict, prev.ConflictAt
		kept, err := translog.PeekCheckpoint([]byte(prev.Checkpoint))
		if err != nil {
			return nil, hresult.Wrap(hresult.Internal, err, "the kept checkpoint does not parse")
		}
		extends := false
		switch {
		case w.tree.Size > kept.Size && r.ProofFrom != kept.Size:
			ans.NeedProof, ans.ProofFrom, ans.TreeSize, ans.Consistent = true, kept.Size, kept.Size, prev.Consistent
			return nil, nil
		case w.tree.Size > kept.Size:
			extends = translog.CheckConsistency(kept, w.tree, r.Proof) == nil
		case w.tree.Size == kept.Size:
			extends = w.tree.Hash == kept.Hash
		}
		if !extends {
			// Recorded, never replaced: the kept tree stays, and the first
			// conflict with it is what an auditor asks the customer about.
			next.TreeSize, next.Checkpoint, next.Summary = prev.TreeSize, prev.Checkpoint, prev.Summary
			if prev.Consistent {
				next.Conflict, next.ConflictAt = string(w.body.Checkpoint), now
			}
			next.Consistent = false
		}
		ans.TreeSize, ans.Consistent = next.TreeSize, next.Consistent
		return &next, nil
	})
	if err != nil {
		return WitnessAnswer{}, err
	}
	switch {
	case ans.NeedProof:
	case ans.Consistent:
		s.log.InfoContext(ctx, "witnessed a KMS host", "origin", ans.Origin, "host", w.subject, "tree_size", ans.TreeSize)
	default:
		s.log.WarnContext(ctx, "a KMS host's log does not extend the checkpoint kept for it", "origin", ans.Origin,
			"host", w.subject, "kept_size", ans.TreeSize, "reported_size", w.tree.Size)
	}
	return ans, nil
}

func (s *Server) handleWitnessReport(w http.ResponseWriter, r *http.Request) (any, error) {
	var req WitnessReport
	if err := decode(w, r, &req); err != nil {
		return nil, err
	}
	return s.Witness(r.Context(), req)
}

func (s *Server) handleHosts(w http.ResponseWriter, r *http.Request) (any, error) {
	var req struct{}
	if err := decode(w, r, &req); err != nil {
		return nil, err
	}
	hosts, err := s.admin.Hosts(r.Context())
	return HostsResponse{Hosts: hosts}, err
}

// Hosts lists the KMS hosts that reported, by origin.
func (a *Admin) Hosts(ctx context.Context) ([]WitnessedHost, error) {
	rows, err := a.Ledger.WitnessedHosts(ctx)
	if err != nil {
		return nil, err
	}
	out := make([]WitnessedHost, 0, len(rows))
	for _, h := range rows {
		groups := h.Groups
		if groups == nil {
			groups = []string{}
		}
		wh := WitnessedHost{Origin: h.Origin, Host: h.Subject, Groups: groups, TreeSize: h.TreeSize,
			ReportedSize: h.ReportedSize, FirstReport: h.FirstReport, LastReport: h.LastReport, Consistent: h.Consistent,
			ConflictAt: h.ConflictAt, Conflict: h.Conflict, Checkpoint: h.Checkpoint, TrueUp: []trueup.GroupCount{}}
		_ = json.Unmarshal([]byte(h.Summary), &wh.TrueUp) // the service wrote it
		out = append(out, wh)
	}
	return out, nil
}

// Hosts lists the KMS hosts that reported through POST /v1/admin/hosts.
func (c *ServiceClient) Hosts(ctx context.Context) ([]WitnessedHost, error) {
	var out HostsResponse
	err := c.post(ctx, "/v1/admin/hosts", true, struct{}{}, &out)
	return out.Hosts, err
}
