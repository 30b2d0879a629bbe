package trueup_test

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"encoding/base64"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/volact/volact/internal/hresult"
	"github.com/volact/volact/internal/protocol"
	"github.com/volact/volact/internal/translog"
	"github.com/volact/volact/internal/trueup"
)

var t0 = time.Date(2030, 1, 1, 0, 0, 0, 0, time.UTC)

func key(n byte) ed25519.PrivateKey { return ed25519.NewKeyFromSeed(bytes.Repeat([]byte{n}, 32)) }

// export builds a KMS host log of leaves, one batch each, and returns its
// export and the root.
func export(t testing.TB, host ed25519.PrivateKey, leaves [][]byte) ([]byte, ed25519.PublicKey) {
	t.Helper()
	root := key(1)
	cert, err := protocol.IssueCertificate(root, protocol.Certificate{Subject: "kms1", Role: protocol.RoleKMSHost,
		PublicKey: host.Public().(ed25519.PublicKey), Groups: []string{"suite"}, IssuedAt: t0})
	if err != nil {
		t.Fatal(err)
	}
	origin := translog.Origin(translog.OriginKMS, host.Public().(ed25519.PublicKey))
	s, _ := translog.NewSigner(origin, host)
	v, _ := translog.NewVerifier(origin, host.Public().(ed25519.PublicKey))
	l, err := translog.Open(t.TempDir(), translog.Options{Signer: s, Verifier: v})
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	for _, leaf := range leaves {
		if _, err := l.Append(context.Background(), leaf); err != nil {
			t.Fatal(err)
		}
	}
	var buf bytes.Buffer
	if err := trueup.Write(&buf, []string{cert}, l); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes(), root.Public().(ed25519.PublicKey)
}

func grant(cmid string, at time.Time) []byte {
	b, _ := protocol.EncodePayload(protocol.Grant{Kind: protocol.KindKMS, SKU: "suite-pro", CMID: cmid, HardwareID: "hw-" + cmid,
		IssuedAt: at, Group: "suite", Issuer: "kms1", Nonce: "n"})
	return b
}

func TestTrueUp(t *testing.T) {
	var leaves [][]byte
	// 3 machines in January, 4 others in March: at most 4 in 30 days.
	for i := range 3 {
		leaves = append(leaves, grant(fmt.Sprint("a", i), t0.Add(time.Duration(i)*time.Hour)))
	}
	refusal, _ := protocol.EncodePayload(protocol.Refusal{Kind: protocol.KindRefusal, Time: t0.AddDate(0, 2, 0),
		Machine: protocol.MachineDigest("b0"), SKU: "suite-pro", Group: "suite", Result: "0xC004F038", Count: 1})
	leaves = append(leaves, refusal)
	for i := range 4 {
		leaves = append(leaves, grant(fmt.Sprint("b", i), t0.AddDate(0, 2, 1)))
	}
	data, root := export(t, key(2), leaves)
	rep, err := trueup.Verify(bytes.NewReader(data), root)
	if err != nil {
		t.Fatal(err)
	}
	if len(rep.Groups) != 1 || rep.Groups[0].MaxMachines != 4 || rep.Groups[0].Grants != 7 || rep.Groups[0].Refusals != 1 {
		t.Fatalf("groups %+v, want suite with 4 machines at most, 7 grants, 1 refusal", rep.Groups)
	}
	if !rep.Signer.Chained || rep.Leaves != 8 || rep.TreeSize != 8 {
		t.Fatalf("report %+v", rep)
	}
	if _, err := trueup.Verify(bytes.NewReader(data), key(9).Public().(ed25519.PublicKey)); hresult.CodeOf(err) == hresult.OK {
		t.Fatal("an export verified against another root")
	}
}

// TestTamperingNamesTheFirstBadIndex edits an export in each way an
// operator could and checks the error names the right leaf.
func TestTamperingNamesTheFirstBadIndex(t *testing.T) {
	var leaves [][]byte
	for i := range 8 {
		leaves = append(leaves, grant(fmt.Sprint("c", i), t0))
	}
	data, root := export(t, key(2), leaves)
	foreign, _ := export(t, key(3), leaves)
	lines := strings.SplitAfter(string(data), "\n")
	leafLine := func(i int) int { // line index of leaf i: header, cert, log header, then leaf+checkpoint pairs
		return 3 + 2*i
	}
	edit := func(f func(ls []string) []string) []byte {
		return []byte(strings.Join(f(append([]string(nil), lines...)), ""))
	}
	other := "leaf " + base64.StdEncoding.EncodeToString(grant("intruder", t0)) + "\n"
	cases := map[string]struct {
		data []byte
		want string
	}{
		"edited leaf 5": {edit(func(ls []string) []string { ls[leafLine(5)] = other; return ls }), "first bad leaf index 5"},
		"deleted leaf 3": {edit(func(ls []string) []string {
			return append(ls[:leafLine(3)], ls[leafLine(3)+1:]...)
		}), "first bad leaf index 3"},
		"inserted before leaf 6": {edit(func(ls []string) []string {
			return append(ls[:leafLine(6)], append([]string{other}, ls[leafLine(6):]...)...)
		}), "first bad leaf index 6"},
		"leaves 2 and 4 swapped": {edit(func(ls []string) []string {
			ls[leafLine(2)], ls[leafLine(4)] = ls[leafLine(4)], ls[leafLine(2)]
			return ls
		}), "first bad leaf index 2"},
		"foreign checkpoint 4": {edit(func(ls []string) []string {
			ls[leafLine(4)+1] = strings.SplitAfter(string(foreign), "\n")[leafLine(4)+1]
			return ls
		}), "checkpoint 4"},
		"cut in the last checkpoint": {data[:len(data)-30], "line 19: want"},
		"cut after leaf 7":           {[]byte(strings.Join(lines[:leafLine(7)+1], "")), "first bad leaf index 7"},
	}
	for name, tc := range cases {
		_, err := trueup.Verify(bytes.NewReader(tc.data), root)
		e := hresult.From(err)
		if err == nil || e.Exit != hresult.ExitStore || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: %v (exit %d), want exit 7 naming %q", name, err, e.Exit, tc.want)
		}
	}
}

// TestTrueUpMAKInstances: a MAK's spent activations are its distinct
// installations, and a clone that kept the hardware id (another instance)
// is one of them; a repeat is not.
func TestTrueUpMAKInstances(t *testing.T) {
	mak := func(hwid string, instance int) []byte {
		b, _ := protocol.EncodePayload(protocol.Grant{Kind: protocol.KindMAK, SKU: "suite-pro", HardwareID: hwid,
			IssuedAt: t0, Issuer: "service", KeyLast5: "6789B", Nonce: "n", Instance: instance})
		return b
	}
	data, root := export(t, key(2), [][]byte{mak("hw-1", 0), mak("hw-1", 0), mak("hw-1", 2), mak("hw-2", 0)})
	rep, err := trueup.Verify(bytes.NewReader(data), root)
	if err != nil {
		t.Fatal(err)
	}
	if len(rep.Keys) != 1 || rep.Keys[0].Spent != 3 || rep.Keys[0].Grants != 4 {
		t.Fatalf("keys %+v, want ...6789B with 3 activations spent in 4 grants", rep.Keys)
	}
}
