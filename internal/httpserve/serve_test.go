package httpserve_test

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"errors"
	"io"
	"math/big"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/volact/volact/internal/hresult"
	"github.com/volact/volact/internal/httpserve"
)

// TestServeShutdown checks the graceful stop: a request running when ctx
// ends is answered, then Serve returns nil and nothing answers any more.
func TestServeShutdown(t *testing.T) {
	ln, err := httpserve.Listen("127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	started, release := make(chan struct{}), make(chan struct{})
	rt := httpserve.NewRouter(httpserve.Options{})
	rt.HandleJSON(http.MethodGet, "/slow", func(_ http.ResponseWriter, r *http.Request) (any, error) {
		close(started)
		<-release
		return map[string]bool{"cancelled": r.Context().Err() != nil}, nil
	})
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- httpserve.Serve(ctx, ln, rt, nil) }()
	url := "http://" + ln.Addr().String()
	answer := make(chan string, 1)
	go func() {
		resp, err := http.Get(url + "/slow")
		if err != nil {
			answer <- err.Error()
			return
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		answer <- string(b)
	}()
	<-started
	cancel()
	time.Sleep(50 * time.Millisecond) // Shutdown has begun and waits for /slow
	close(release)
	if got := <-answer; got != "{\"cancelled\":false}\n" {
		t.Errorf("request running at the stop: %q", got)
	}
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("Serve after cancel: %v", err)
		}
	case <-time.After(httpserve.ShutdownTimeout + 5*time.Second):
		t.Fatal("Serve did not return")
	}
	if _, err := http.Get(url + "/healthz"); err == nil {
		t.Error("still answering after the stop")
	}
}

func TestListenErrors(t *testing.T) {
	dir := t.TempDir()
	missing := filepath.Join(dir, "missing.pem")
	for name, f := range map[string]func() (net.Listener, error){
		"bad address":  func() (net.Listener, error) { return httpserve.Listen("127.0.0.1:99999") },
		"missing cert": func() (net.Listener, error) { return httpserve.ListenTLS("127.0.0.1:0", missing, missing) },
	} {
		ln, err := f()
		var e *hresult.Error
		if err == nil || !errors.As(err, &e) || e.Code != hresult.InvalidArg || e.Exit != hresult.ExitInvalid {
			t.Errorf("%s: %v %v, want InvalidArg with exit 3", name, ln, err)
		}
	}
}

func TestListenTLS(t *testing.T) {
	certFile, keyFile := selfSigned(t)
	ln, err := httpserve.ListenTLS("127.0.0.1:0", certFile, keyFile)
	if err != nil {
		t.Fatal(err)
	}
	rt := httpserve.NewRouter(httpserve.Options{})
	rt.Health(func(context.Context) (any, error) { return nil, nil })
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- httpserve.Serve(ctx, ln, rt, nil) }()
	defer func() {
		cancel()
		if err := <-done; err != nil {
			t.Error(err)
		}
	}()
	for _, tt := range []struct {
		name    string
		max     uint16
		wantErr bool
	}{{"TLS 1.3", tls.VersionTLS13, false}, {"TLS 1.2", tls.VersionTLS12, false}, {"TLS 1.1", tls.VersionTLS11, true}} {
		hc := &http.Client{Timeout: 5 * time.Second, Transport: &http.Transport{
			TLSClientConfig: &tls.Config{InsecureSkipVerify: true, MinVersion: tls.VersionTLS10, MaxVersion: tt.max}}}
		resp, err := hc.Get("https://" + ln.Addr().String() + "/healthz")
		if err == nil {
			resp.Body.Close()
		}
		if (err != nil) != tt.wantErr || (err == nil && resp.StatusCode != 200) {
			t.Errorf("%s: %v, want error %v", tt.name, err, tt.wantErr)
		}
	}
}

func TestLoopback(t *testing.T) {
	for addr, want := range map[string]bool{
		"127.0.0.1:8080": true, "[::1]:1688": true, "localhost:0": true, "127.9.9.9:1": true,
		":8080": false, "0.0.0.0:8080": false, "10.0.0.5:1688": false, "example.com:80": false, "nonsense": false,
	} {
		if got := httpserve.Loopback(addr); got != want {
			t.Errorf("Loopback(%q) = %v", addr, got)
		}
	}
}

// selfSigned writes a certificate for 127.0.0.1 and its key as PEM files.
func selfSigned(t *testing.T) (certFile, keyFile string) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "127.0.0.1"},
		IPAddresses: []net.IP{net.IPv4(127, 0, 0, 1)}, NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour)}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	kder, err := x509.MarshalECPrivateKey(key)
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	certFile, keyFile = filepath.Join(dir, "cert.pem"), filepath.Join(dir, "key.pem")
	if err := os.WriteFile(certFile, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(keyFile, pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: kder}), 0o600); err != nil {
		t.Fatal(err)
	}
	return certFile, keyFile
}
