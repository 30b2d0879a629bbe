// Package trueup writes and checks ledger exports: a server's whole
// transparency log (package translog) with the certificates of its
// signing key, and the true-up report an auditor computes from it
// offline: per counted group the most distinct machines in any 30-day
// window, per MAK key the activations spent.
//
// An export is text:
//
//	volact-ledger v1
//	certificate <the signer's certificate, as in envelopes>
//	...
//	volact-translog export v1
//	leaf <base64> / checkpoint <base64>, as translog.Log.Export writes
package trueup

import (
	"bufio"
	"crypto/ed25519"
	"errors"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/volact/volact/internal/hresult"
	"github.com/volact/volact/internal/protocol"
	"github.com/volact/volact/internal/translog"
)

// Header is the first line of a ledger export.
const Header = "volact-ledger v1"

// maxCertificates bounds the certificate lines of an export.
const maxCertificates = 64

// Write writes the export of l, whose checkpoints the key of certs signs,
// to w.
func Write(w io.Writer, certs []string, l *translog.Log) error {
	bw := bufio.NewWriter(w)
	fmt.Fprintln(bw, Header)
	for _, c := range certs {
		fmt.Fprintln(bw, "certificate "+c)
	}
	if err := bw.Flush(); err != nil {
		return err
	}
	return l.Export(w)
}

// Signer is the signing key an export names.
type Signer struct {
	Origin  string    `json:"origin"`
	Role    string    `json:"role"`
	Subject string    `json:"subject"`
	Groups  []string  `json:"groups,omitempty"`
	Chained bool      `json:"chained_to_root"` // checked against the catalog's root
	Issued  time.Time `json:"issued_at"`
}

// readHeader reads the export's header and certificate lines from br and
// returns the signer, its key and the number of lines read. With root,
// each certificate must be issued by it (checked at its issue time: an
// audit may come after it expired).
func readHeader(br *bufio.Reader, root ed25519.PublicKey) (Signer, ed25519.PublicKey, int, error) {
	line, err := readLine(br)
	if err != nil || line != Header {
		return Signer{}, nil, 0, bad(1, "not a volact ledger export (want %q on the first line)", Header)
	}
	var s Signer
	var key ed25519.PublicKey
	n := 2
	for ; ; n++ {
		b, err := br.Peek(len("certificate "))
		if err != nil || string(b) != "certificate " {
			break
		}
		if n > maxCertificates+1 {
			return Signer{}, nil, 0, bad(n, "more than %d certificates", maxCertificates)
		}
		line, err := readLine(br)
		if err != nil {
			return Signer{}, nil, 0, bad(n, "%v", err)
		}
		cert, err := readCertificate(strings.TrimPrefix(line, "certificate "), root)
		if err != nil {
			return Signer{}, nil, 0, bad(n, "%v", err)
		}
		if key != nil && (!key.Equal(ed25519.PublicKey(cert.PublicKey)) || cert.Role != s.Role) {
			return Signer{}, nil, 0, bad(n, "the certificates name different keys")
		}
		key = cert.PublicKey
		s.Origin, s.Role, s.Subject, s.Chained, s.Issued = protocol.LogOrigin(cert), cert.Role, cert.Subject, root != nil, cert.IssuedAt
		s.Groups = append(s.Groups, cert.Groups...)
	}
	if key == nil {
		return Signer{}, nil, 0, bad(2, "the export names no certificate")
	}
	return s, key, n - 1, nil
}

// readCertificate reads a certificate: verified against root when root is
// set (at its own issue time: a report reads old logs), else only decoded
// (the report then says it is not chained).
func readCertificate(text string, root ed25519.PublicKey) (*protocol.Certificate, error) {
	c, err := protocol.PeekCertificate(text)
	if err != nil {
		return nil, errors.New("the certificate is malformed")
	}
	if root != nil {
		return protocol.VerifyCertificate(text, root, c.IssuedAt)
	}
	if len(c.PublicKey) != ed25519.PublicKeySize || (c.Role != protocol.RoleKMSHost && c.Role != protocol.RoleService) {
		return nil, errors.New("the certificate names no Ed25519 key or an unknown role")
	}
	return c, nil
}

// readLine reads one line without its newline.
func readLine(br *bufio.Reader) (string, error) {
	line, err := br.ReadString('\n')
	if err != nil {
		return "", err
	}
	return strings.TrimSuffix(line, "\n"), nil
}

// bad is the error of an export that does not verify (exit 7).
func bad(line int, format string, args ...any) error {
	return hresult.Newf(hresult.StoreTampered, "ledger export line %d: "+format, append([]any{line}, args...)...).
		WithExit(hresult.ExitStore)
}
