package e2e_test

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"crypto/sha256"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"encoding/pem"
	"errors"
	"math/big"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/volact/volact/internal/authority"
	"github.com/volact/volact/internal/mak"
	"github.com/volact/volact/internal/productkey"
)

// program is the binary that runs args: volactd for the server verbs (kms,
// mak), volact for the rest.
func program(args []string) string {
	if len(args) > 0 && (args[0] == "kms" || args[0] == "mak" || args[0] == "ledger") {
		return "volactd"
	}
	return "volact"
}

// volactRun runs volact or volactd (the test binary, through testscript's
// PATH; see program) with env and returns its exit status and output.
func volactRun(t *testing.T, env []string, args ...string) (code int, stdout, stderr string) {
	t.Helper()
	cmd := exec.Command(program(args), args...)
	cmd.Env = append(os.Environ(), env...)
	var out, errOut bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errOut
	err := cmd.Run()
	var ee *exec.ExitError
	switch {
	case errors.As(err, &ee):
		code = ee.ExitCode()
	case err != nil:
		t.Fatalf("volact %s: %v", strings.Join(args, " "), err)
	}
	return code, out.String(), errOut.String()
}

// editState rewrites the client store's state with edit. With fixSum the
// checksum is recomputed, as a careful forger would; otherwise the old one
// stays.
func editState(t *testing.T, path string, fixSum bool, edit func(state map[string]any)) {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var file struct {
		Format    int             `json:"format"`
		WrittenAt string          `json:"written_at"`
		SHA256    string          `json:"sha256"`
		State     json.RawMessage `json:"state"`
	}
	if err := json.Unmarshal(data, &file); err != nil {
		t.Fatal(err)
	}
	var state map[string]any
	dec := json.NewDecoder(bytes.NewReader(file.State))
	dec.UseNumber()
	if err := dec.Decode(&state); err != nil {
		t.Fatal(err)
	}
	edit(state)
	raw, err := json.MarshalIndent(state, "  ", "  ")
	if err != nil {
		t.Fatal(err)
	}
	if fixSum {
		sum := sha256.Sum256(raw)
		file.SHA256 = hex.EncodeToString(sum[:])
	}
	file.State = raw
	out, err := json.MarshalIndent(file, "", "  ")
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, out, 0o600); err != nil {
		t.Fatal(err)
	}
}

// product returns the stored product sku of a decoded state.
func product(t *testing.T, state map[string]any, sku string) map[string]any {
	t.Helper()
	p, ok := state["products"].(map[string]any)[sku].(map[string]any)
	if !ok {
		t.Fatalf("the store has no product %s", sku)
	}
	return p
}

// editPayload changes the hardware id inside the signed payload of the
// stored envelope.
func editPayload(t *testing.T, p map[string]any) {
	env := p["envelope"].(map[string]any)
	raw, err := base64.StdEncoding.DecodeString(env["payload"].(string))
	if err != nil {
		t.Fatal(err)
	}
	edited := bytes.Replace(raw, []byte(`"hardware_id":"`), []byte(`"hardware_id":"x`), 1)
	if bytes.Equal(edited, raw) {
		t.Fatalf("payload has no hardware id: %s", raw)
	}
	env["payload"] = base64.StdEncoding.EncodeToString(edited)
}

// TestEditedGrant activates a MAK machine against a real service, then
// edits its store in the ways a user might to fake or move an activation.
// Every edit is detected (exit 7, 0xC004D301) and the store is left as it
// was; a store copied to other hardware is not licensed there.
func TestEditedGrant(t *testing.T) {
	now := time.Now().UTC()
	dir := t.TempDir()
	a, l, ts := startService(t, dir, now)
	key, err := a.Mint(productkey.MAK, "suite-pro", 5, 0)
	if err != nil {
		t.Fatal(err)
	}

	base := filepath.Join(dir, "activated")
	env := func(store, hwid string) []string {
		return []string{"VOLACT_STORE=" + store, "VOLACT_MACHINE_ID=" + hwid, "NO_COLOR=1",
			"VOLACT_CATALOG=" + filepath.Join(dir, "auth", authority.CatalogFile), "VOLACT_SERVICE=" + ts.URL}
	}
	for _, args := range [][]string{{"inpkey", key.String()}, {"act"}} {
		if code, out, errOut := volactRun(t, env(base, "machine-1"), args...); code != 0 {
			t.Fatalf("volact %s: exit %d\n%s%s", args[0], code, out, errOut)
		}
	}

	cases := []struct {
		name   string
		fixSum bool
		edit   func(t *testing.T, state map[string]any)
		why    string
	}{
		{"signed payload edited, checksum fixed", true, func(t *testing.T, s map[string]any) {
			editPayload(t, product(t, s, "suite-pro"))
		}, "the grant of suite-pro does not verify"},
		{"signed payload edited, checksum stale", false, func(t *testing.T, s map[string]any) {
			editPayload(t, product(t, s, "suite-pro"))
		}, "checksum does not match"},
		{"stored grant moved to other hardware, checksum fixed", true, func(t *testing.T, s map[string]any) {
			product(t, s, "suite-pro")["grant"].(map[string]any)["hardware_id"] = "another"
		}, "the grant of suite-pro was edited"},
		{"envelope removed, grant kept, checksum fixed", true, func(t *testing.T, s map[string]any) {
			delete(product(t, s, "suite-pro"), "envelope")
		}, "has a grant without a signature"},
		{"signature replaced, checksum fixed", true, func(t *testing.T, s map[string]any) {
			env := product(t, s, "suite-pro")["envelope"].(map[string]any)
			env["signature"] = base64.StdEncoding.EncodeToString(make([]byte, 64))
		}, "does not verify"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			store := filepath.Join(t.TempDir(), "store")
			if err := os.CopyFS(store, os.DirFS(base)); err != nil {
				t.Fatal(err)
			}
			path := filepath.Join(store, "state.json")
			editState(t, path, c.fixSum, func(s map[string]any) { c.edit(t, s) })
			before, _ := os.ReadFile(path)
			for _, args := range [][]string{{"dstatus"}, {"xpr"}, {"act"}} {
				code, out, errOut := volactRun(t, env(store, "machine-1"), args...)
				if code != 7 || !strings.Contains(errOut, "(0xC004D301)") || !strings.Contains(errOut, c.why) {
					t.Errorf("volact %s: exit %d, stderr %q; want exit 7, 0xC004D301 and %q", args[0], code, errOut, c.why)
				}
				if strings.Contains(out, "LICENSED") || strings.Contains(out, "permanently") {
					t.Errorf("volact %s on a tampered store printed success-looking text:\n%s", args[0], out)
				}
			}
			if after, _ := os.ReadFile(path); !bytes.Equal(before, after) {
				t.Error("the tampered store was rewritten")
			}
		})
	}

	t.Run("store copied to other hardware", func(t *testing.T) {
		store := filepath.Join(t.TempDir(), "store")
		if err := os.CopyFS(store, os.DirFS(base)); err != nil {
			t.Fatal(err)
		}
		code, out, errOut := volactRun(t, env(store, "machine-2"), "dstatus")
		if code != 0 || !strings.Contains(out, "LICENSE STATUS:  ---OOT_GRACE--- ") {
			t.Errorf("dstatus on other hardware: exit %d\n%s%s", code, out, errOut)
		}
	})
	if st, err := (&mak.Admin{Authority: a, Ledger: l, Now: time.Now}).Remaining(context.Background(), key.String()); err != nil || st.Used != 1 {
		t.Errorf("remaining after the tamper tests: %+v %v, want 1 used", st, err)
	}
}

// TestServeTLS runs `volactd mak serve` with a TLS certificate and checks
// that it answers HTTPS, that plain HTTP outside loopback is refused, and
// that SIGTERM stops it with exit 0.
func TestServeTLS(t *testing.T) {
	dir := t.TempDir()
	newAuthority(t, filepath.Join(dir, "auth"), time.Now(), "")
	certPEM, keyPEM, pool := selfSigned(t)
	certFile, keyFile := filepath.Join(dir, "cert.pem"), filepath.Join(dir, "key.pem")
	os.WriteFile(certFile, certPEM, 0o600)
	os.WriteFile(keyFile, keyPEM, 0o600)

	if code, _, errOut := volactRun(t, nil, "mak", "serve", "--dir", filepath.Join(dir, "auth"), "--listen", "0.0.0.0:0"); code != 3 || !strings.Contains(errOut, "refusing to serve plain HTTP") {
		t.Errorf("plain HTTP on 0.0.0.0: exit %d %s", code, errOut)
	}

	addr := filepath.Join(dir, "addr")
	cmd := exec.Command("volactd", "mak", "serve", "--dir", filepath.Join(dir, "auth"), "--listen", "127.0.0.1:0",
		"--addr-file", addr, "--tls-cert", certFile, "--tls-key", keyFile, "--log-format", "json")
	var logs bytes.Buffer
	cmd.Stderr = &logs
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	defer cmd.Process.Kill()
	var url []byte
	for deadline := time.Now().Add(15 * time.Second); len(url) == 0 && time.Now().Before(deadline); time.Sleep(20 * time.Millisecond) {
		url, _ = os.ReadFile(addr)
	}
	base := strings.TrimSpace(string(url))
	if !strings.HasPrefix(base, "https://127.0.0.1:") {
		t.Fatalf("addr file %q, want an https URL", base)
	}
	hc := &http.Client{Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: pool}}}
	resp, err := hc.Get(base + "/healthz")
	if err != nil {
		t.Fatalf("healthz over TLS: %v", err)
	}
	resp.Body.Close()
	if resp.StatusCode != 200 {
		t.Errorf("healthz: HTTP %d", resp.StatusCode)
	}
	if runtime.GOOS == "windows" {
		return // no SIGTERM to send; the deferred Kill stops it
	}
	cmd.Process.Signal(syscall.SIGTERM)
	if err := cmd.Wait(); err != nil {
		t.Errorf("serve after SIGTERM: %v\n%s", err, logs.String())
	}
	if !strings.Contains(logs.String(), `"msg":"stopped"`) {
		t.Errorf("no JSON log line for the graceful stop:\n%s", logs.String())
	}
}

// selfSigned makes a certificate for 127.0.0.1 and a pool that trusts it.
func selfSigned(t *testing.T) (certPEM, keyPEM []byte, pool *x509.CertPool) {
	t.Helper()
	pub, priv, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "volact test"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour),
		IPAddresses: []net.IP{net.IPv4(127, 0, 0, 1)}, KeyUsage: x509.KeyUsageDigitalSignature,
		ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth}}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, pub, priv)
	if err != nil {
		t.Fatal(err)
	}
	cert, _ := x509.ParseCertificate(der)
	pool = x509.NewCertPool()
	pool.AddCert(cert)
	pk, err := x509.MarshalPKCS8PrivateKey(priv)
	if err != nil {
		t.Fatal(err)
	}
	return pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}),
		pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: pk}), pool
}
