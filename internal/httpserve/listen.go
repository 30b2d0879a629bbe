package httpserve

import (
	"crypto/tls"
	"net"

	"github.com/volact/volact/internal/hresult"
)

// Listen listens on the TCP address addr ("host:port"; port 0 picks a
// free one). A failure is hresult.InvalidArg with exit status 3 and a
// one-line message naming addr.
func Listen(addr string) (net.Listener, error) {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, hresult.Wrap(hresult.InvalidArg, err, "cannot listen on "+addr).WithExit(hresult.ExitInvalid)
	}
	return ln, nil
}

// TLSConfig loads a PEM certificate (chain) and its private key for a
// server that accepts TLS 1.2 or later. A failure is hresult.InvalidArg
// with exit status 3.
func TLSConfig(certFile, keyFile string) (*tls.Config, error) {
	cert, err := tls.LoadX509KeyPair(certFile, keyFile)
	if err != nil {
		return nil, hresult.Wrap(hresult.InvalidArg, err, "cannot load the TLS certificate").WithExit(hresult.ExitInvalid)
	}
	return &tls.Config{Certificates: []tls.Certificate{cert}, MinVersion: tls.VersionTLS12}, nil
}

// ListenTLS listens on addr and serves TLS 1.2 or later with the
// certificate and key in certFile and keyFile (PEM). The certificate is
// loaded before the port is taken, so a bad file leaves nothing open.
func ListenTLS(addr, certFile, keyFile string) (net.Listener, error) {
	cfg, err := TLSConfig(certFile, keyFile)
	if err != nil {
		return nil, err
	}
	ln, err := Listen(addr)
	if err != nil {
		return nil, err
	}
	return tls.NewListener(ln, cfg), nil
}

// Loopback reports whether the listen address addr ("host:port") stays on
// this machine: localhost or a loopback IP. An empty host (all
// interfaces) is not loopback.
func Loopback(addr string) bool {
	host, _, err := net.SplitHostPort(addr)
	if err != nil {
		return false
	}
	ip := net.ParseIP(host)
	return host == "localhost" || (ip != nil && ip.IsLoopback())
}
