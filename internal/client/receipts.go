package client

import (
	"crypto/ed25519"
	"fmt"
	"sort"
	"time"

	"github.com/volact/volact/internal/catalog"
	"github.com/volact/volact/internal/hresult"
	"github.com/volact/volact/internal/protocol"
	"github.com/volact/volact/internal/translog/tlogverify"
)

// LogSeen is the newest checkpoint the client has seen of one server's
// transparency log (a KMS host, the activation service), kept so that a
// later answer whose tree is not an extension of it is refused
// (hresult.LogForked), and so an auditor can compare it with the
// server's export (volact receipts).
type LogSeen struct {
	// Checkpoint is the signed checkpoint note, as the server sent it.
	Checkpoint []byte `json:"checkpoint"`
	// Certificate is the certificate of the key that signed it.
	Certificate string    `json:"certificate"`
	SeenAt      time.Time `json:"seen_at"`
}

// open verifies l: its certificate against root (at the time it was
// seen), its checkpoint against the certificate's key under origin.
func (l *LogSeen) open(origin string, root ed25519.PublicKey) (tlogverify.Checkpoint, *protocol.Certificate, error) {
	cert, err := protocol.VerifyCertificate(l.Certificate, root, l.SeenAt)
	if err != nil {
		return tlogverify.Checkpoint{}, nil, err
	}
	if got := protocol.LogOrigin(cert); got != origin {
		return tlogverify.Checkpoint{}, nil, fmt.Errorf("the checkpoint kept for log %s is signed for %s", origin, got)
	}
	v, err := protocol.LogVerifier(cert)
	if err != nil {
		return tlogverify.Checkpoint{}, nil, err
	}
	c, err := tlogverify.OpenCheckpoint(l.Checkpoint, v)
	return c, cert, err
}

// verifyLogs re-checks the checkpoints the store keeps (State.verify).
func (s *State) verifyLogs(root ed25519.PublicKey, path string) error {
	for origin, l := range s.Logs {
		if l == nil {
			return tampered(path, fmt.Sprintf("the checkpoint of log %s has no data", origin))
		}
		if _, _, err := l.open(origin, root); err != nil {
			return tampered(path, fmt.Sprintf("the checkpoint kept for log %s does not verify (%v)", origin, err))
		}
	}
	return nil
}

// treeSizes returns the size of every log the store keeps a checkpoint
// of, for ActivationRequest.KnownTrees; nil when none.
func (s *State) treeSizes() map[string]int64 {
	if len(s.Logs) == 0 {
		return nil
	}
	out := make(map[string]int64, len(s.Logs))
	for origin, l := range s.Logs {
		if c, err := tlogverify.PeekCheckpoint(l.Checkpoint); err == nil {
			out[origin] = c.Size
		}
		if len(out) == protocol.MaxKnownTrees {
			break
		}
	}
	return out
}

// checkLogged checks that the answer in o, which httpjson.Call has
// verified, comes from a tree that extends the checkpoint st keeps of the
// same log, by the consistency proof the answer carries. A fork becomes
// o's error (hresult.LogForked, exit 5) and the answer is dropped:
// nothing of it is stored.
func checkLogged(o *outcome, st *State, cat *catalog.Catalog, now time.Time) {
	if o.err != nil || o.env == nil {
		return
	}
	tree, _, err := answerTree(*o.env, cat, now)
	if err == nil {
		if kept := st.Logs[tree.Origin]; kept != nil {
			var older tlogverify.Checkpoint
			if older, err = tlogverify.PeekCheckpoint(kept.Checkpoint); err == nil {
				err = protocol.CheckExtends(older, tree, o.env.Consistency)
			}
		}
	}
	if err != nil {
		e := hresult.From(err)
		if o.host != "" {
			e.Msg = "KMS host " + o.host + ": " + e.Msg
		}
		o.err, o.env = e, nil
	}
}

// answerTree returns the checkpoint of a verified answer and its signer's
// certificate.
func answerTree(env protocol.Envelope, cat *catalog.Catalog, now time.Time) (tlogverify.Checkpoint, *protocol.Certificate, error) {
	cert, err := protocol.VerifyCertificate(env.Certificate, cat.Root(), now)
	if err != nil {
		return tlogverify.Checkpoint{}, nil, err
	}
	tree, err := protocol.Tree(env, cert)
	return tree, cert, err
}

// keepLog records the checkpoint of an applied answer, when it is newer
// than the one kept, and drops the answer's consistency proof (it proved
// what it had to). It runs under the store lock.
func (s *State) keepLog(env *protocol.Envelope, cat *catalog.Catalog, now time.Time) {
	if env == nil || env.Receipt == nil {
		return
	}
	env.Consistency = nil
	tree, _, err := answerTree(*env, cat, now)
	if err != nil {
		return
	}
	if kept := s.Logs[tree.Origin]; kept != nil {
		if c, err := tlogverify.PeekCheckpoint(kept.Checkpoint); err == nil && c.Size >= tree.Size {
			return
		}
	}
	if s.Logs == nil {
		s.Logs = map[string]*LogSeen{}
	}
	s.Logs[tree.Origin] = &LogSeen{Checkpoint: env.Receipt.Checkpoint, Certificate: env.Certificate, SeenAt: now.UTC()}
}

// LogReceipts is what `volact receipts` shows an auditor: the checkpoint
// kept of each log, and the receipt of each stored grant.
type LogReceipts struct {
	Logs   []LogCheckpoint `json:"logs"`
	Grants []GrantReceipt  `json:"grants"`
}

// LogCheckpoint is one kept checkpoint.
type LogCheckpoint struct {
	Origin     string    `json:"origin"`
	Subject    string    `json:"subject"` // the signer's certificate subject
	TreeSize   int64     `json:"tree_size"`
	RootHash   string    `json:"root_hash"` // base64
	SeenAt     time.Time `json:"seen_at"`
	Checkpoint string    `json:"checkpoint"` // the signed note
}

// GrantReceipt is the receipt of one stored grant: its leaf in a log.
type GrantReceipt struct {
	SKU       string `json:"sku"`
	Origin    string `json:"origin,omitempty"`       // "" for a grant signed before the log
	LeafIndex int64  `json:"leaf_index"`             // -1 without a receipt
	TreeSize  int64  `json:"tree_size"`              // of the receipt's checkpoint
	Signed    bool   `json:"signed_alone,omitempty"` // a grant from before the log
}

// Receipts returns the kept checkpoints and the receipts of the stored
// grants, all verified (the store is verified when it is read).
func (c *Client) Receipts() (LogReceipts, error) {
	st, cat, err := c.load()
	if err != nil {
		return LogReceipts{}, err
	}
	out := LogReceipts{Logs: []LogCheckpoint{}, Grants: []GrantReceipt{}}
	for origin, l := range st.Logs {
		tree, cert, err := l.open(origin, cat.Root())
		if err != nil {
			return LogReceipts{}, tampered(c.store.Path(), err.Error())
		}
		out.Logs = append(out.Logs, LogCheckpoint{Origin: origin, Subject: cert.Subject, TreeSize: tree.Size,
			RootHash: tree.Hash.String(), SeenAt: l.SeenAt, Checkpoint: string(l.Checkpoint)})
	}
	sort.Slice(out.Logs, func(i, j int) bool { return out.Logs[i].Origin < out.Logs[j].Origin })
	for _, sku := range sortedSKUs(st) {
		p := st.Products[sku]
		if p.Envelope == nil {
			continue
		}
		g := GrantReceipt{SKU: sku, LeafIndex: -1}
		if p.Envelope.Receipt == nil {
			g.Signed = true
		} else if tree, err := tlogverify.PeekCheckpoint(p.Envelope.Receipt.Checkpoint); err == nil {
			g.Origin, g.LeafIndex, g.TreeSize = tree.Origin, p.Envelope.Receipt.Index, tree.Size
		}
		out.Grants = append(out.Grants, g)
	}
	return out, nil
}
