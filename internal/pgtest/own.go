package pgtest

import (
	"net/url"
	"os"
	"strings"
	"testing"
)

// Server is a throwaway PostgreSQL server of one test, which the test may
// stop and start again (a database outage) without disturbing the other
// tests of the binary. It keeps its port across restarts.
type Server struct {
	srv  *server
	opts string // pg_ctl -o: socket directory, address, port, settings
	base string // URL of the maintenance database
	tb   testing.TB
}

// Own starts a PostgreSQL server for tb alone, stopped and removed when tb
// ends. It fails tb when PostgreSQL is not installed; VOLACT_TEST_PG does
// not apply (a shared server cannot be stopped by one test).
func Own(tb testing.TB) *Server {
	tb.Helper()
	s, err := Launch()
	if err != nil {
		tb.Fatalf("pgtest: cannot start a PostgreSQL server: %v\nfix: %s", err, fixHint)
	}
	s.tb = tb
	tb.Cleanup(s.Close)
	return s
}

// Launch starts a throwaway PostgreSQL server outside a test (the demo);
// Close stops it and removes its files. Only its Database and Close may be
// called: Stop and Start are for tests.
func Launch() (*Server, error) {
	srv, err := startServer()
	if err != nil {
		return nil, err
	}
	u, _ := url.Parse(srv.url)
	s := &Server{srv: srv, base: srv.url,
		// Durable commits: a commit acknowledged before a stop is kept.
		opts: "-k " + srv.dir + " -h 127.0.0.1 -p " + u.Port() + " -c fsync=off -c full_page_writes=off -c max_connections=200"}
	err = s.srv.run(s.srv.pgctl, "-D", s.srv.data(), "-m", "fast", "-w", "stop")
	if err == nil {
		err = s.srv.run(s.srv.pgctl, "-D", s.srv.data(), "-l", s.srv.log(), "-w", "-t", "60", "-o", s.opts, "start")
	}
	if err != nil {
		srv.stop()
		return nil, err
	}
	return s, nil
}

// Close stops the server and removes its files.
func (s *Server) Close() { s.srv.stop() }

// NewDatabase creates a new, empty database on s and returns its URL.
func (s *Server) NewDatabase() (string, error) {
	name := "volact_" + randomHex(8)
	if err := admin(s.base, "CREATE DATABASE "+name); err != nil {
		return "", err
	}
	u, _ := url.Parse(s.base)
	u.Path = "/" + name
	return u.String(), nil
}

// Installed reports whether the PostgreSQL binaries pgtest starts servers
// with are installed (or VOLACT_TEST_PG names a server).
func Installed() bool {
	if os.Getenv(EnvURL) != "" {
		return true
	}
	_, err := findBinary("initdb")
	return err == nil
}

// Database creates a new, empty database on s and returns its URL.
func (s *Server) Database() string {
	s.tb.Helper()
	u, err := s.NewDatabase()
	if err != nil {
		s.tb.Fatalf("pgtest: create database: %v", err)
	}
	return u
}

// Stop stops the server (pg_ctl -m fast): clients lose their connections
// and new ones are refused until Start.
func (s *Server) Stop() {
	s.tb.Helper()
	if err := s.srv.run(s.srv.pgctl, "-D", s.srv.data(), "-m", "fast", "-w", "stop"); err != nil {
		s.tb.Fatalf("pgtest: stop: %v", err)
	}
}

// Start starts the stopped server again on the same port.
func (s *Server) Start() {
	s.tb.Helper()
	err := s.srv.run(s.srv.pgctl, "-D", s.srv.data(), "-l", s.srv.log(), "-w", "-t", "60", "-o", s.opts, "start")
	if err != nil && !strings.Contains(err.Error(), "another server might be running") {
		s.tb.Fatalf("pgtest: start: %v", err)
	}
}
