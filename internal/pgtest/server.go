package pgtest

import (
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"sync"
	"syscall"
)

// The throwaway server shared by the tests of one binary.
var shared struct {
	once sync.Once
	mu   sync.Mutex
	srv  *server
	url  string
	err  error
}

// sharedURL starts the shared server on first use and returns the URL of
// its maintenance database.
func sharedURL() (string, error) {
	shared.once.Do(func() {
		srv, err := startServer()
		shared.mu.Lock()
		defer shared.mu.Unlock()
		shared.srv, shared.err = srv, err
		if err == nil {
			shared.url = srv.url
		}
	})
	return shared.url, shared.err
}

// StopShared stops the throwaway server, if one was started, and removes
// its files. Call it from TestMain after m.Run (or use Main); Start must not
// be called afterwards.
func StopShared() {
	shared.mu.Lock()
	defer shared.mu.Unlock()
	if shared.srv != nil {
		shared.srv.stop()
		shared.srv = nil
	}
}

// server is a PostgreSQL instance in a temporary directory.
type server struct {
	dir    string   // temp dir: data dir, socket, log, owner file
	pgctl  string   // path of pg_ctl
	prefix []string // "runuser -u postgres --" when running as root
	url    string
}

func (s *server) data() string { return filepath.Join(s.dir, "data") }
func (s *server) log() string  { return filepath.Join(s.dir, "postgres.log") }

// run runs a PostgreSQL binary, as the postgres user when needed.
func (s *server) run(bin string, args ...string) error {
	argv := append(append(append([]string{}, s.prefix...), bin), args...)
	cmd := exec.Command(argv[0], argv[1:]...)
	cmd.Dir = s.dir
	out, err := cmd.CombinedOutput()
	if err != nil {
		return fmt.Errorf("%s: %v\n%s", filepath.Base(bin), err, tail(string(out), 15))
	}
	return nil
}

func startServer() (*server, error) {
	initdb, err := findBinary("initdb")
	if err != nil {
		return nil, err
	}
	pgctl, err := findBinary("pg_ctl")
	if err != nil {
		return nil, err
	}
	reapStale(pgctl)
	dir, err := os.MkdirTemp("", "volact-pgtest-")
	if err != nil {
		return nil, err
	}
	s := &server{dir: dir, pgctl: pgctl}
	if err := os.WriteFile(filepath.Join(dir, "owner"), []byte(strconv.Itoa(os.Getpid())), 0o644); err != nil {
		return nil, err
	}
	if os.Geteuid() == 0 { // initdb refuses to run as root
		if err := s.dropRoot(); err != nil {
			os.RemoveAll(dir)
			return nil, err
		}
	}
	if err := s.run(initdb, "-D", s.data(), "-A", "trust", "-U", "postgres", "-E", "UTF8",
		"--no-locale", "--no-sync"); err != nil {
		os.RemoveAll(dir)
		return nil, err
	}
	// The free port may be taken between the probe and the start: try again.
	for attempt := 1; ; attempt++ {
		port, err := freePort()
		if err != nil {
			os.RemoveAll(dir)
			return nil, err
		}
		opts := fmt.Sprintf("-k %s -h 127.0.0.1 -p %d -c fsync=off -c synchronous_commit=off "+
			"-c full_page_writes=off -c max_connections=200", dir, port)
		err = s.run(pgctl, "-D", s.data(), "-l", s.log(), "-w", "-t", "60", "-o", opts, "start")
		if err == nil {
			s.url = fmt.Sprintf("postgres://postgres@127.0.0.1:%d/postgres?sslmode=disable", port)
			return s, nil
		}
		if attempt == 3 {
			logText, _ := os.ReadFile(s.log())
			os.RemoveAll(dir)
			return nil, fmt.Errorf("%v\nserver log:\n%s", err, tail(string(logText), 15))
		}
	}
}

// dropRoot makes the binaries run as the postgres OS user, owning dir.
func (s *server) dropRoot() error {
	u, err := user.Lookup("postgres")
	if err != nil {
		return errors.New(`running as root, and there is no "postgres" OS user to run initdb as`)
	}
	runuser, err := exec.LookPath("runuser")
	if err != nil {
		return errors.New("running as root, and runuser (util-linux) is not installed to drop to the postgres user")
	}
	uid, _ := strconv.Atoi(u.Uid)
	gid, _ := strconv.Atoi(u.Gid)
	for _, p := range []string{s.dir, filepath.Join(s.dir, "owner")} {
		if err := os.Chown(p, uid, gid); err != nil {
			return err
		}
	}
	s.prefix = []string{runuser, "-u", "postgres", "--"}
	return nil
}

func (s *server) stop() {
	s.run(s.pgctl, "-D", s.data(), "-m", "fast", "-w", "stop")
	os.RemoveAll(s.dir)
}

// findBinary looks on PATH, then in the usual Debian and RHEL locations,
// newest version first.
func findBinary(name string) (string, error) {
	if p, err := exec.LookPath(name); err == nil {
		return p, nil
	}
	var found []string
	for _, pattern := range []string{"/usr/lib/postgresql/*/bin/", "/usr/pgsql-*/bin/"} {
		m, _ := filepath.Glob(pattern + name)
		found = append(found, m...)
	}
	if len(found) == 0 {
		return "", fmt.Errorf("%s not found on PATH or in /usr/lib/postgresql/*/bin", name)
	}
	sort.Slice(found, func(i, j int) bool { return version(found[i]) > version(found[j]) })
	return found[0], nil
}

// version is the major version in a path such as /usr/lib/postgresql/15/bin.
func version(path string) int {
	for _, part := range strings.FieldsFunc(path, func(r rune) bool { return r == '/' || r == '-' }) {
		if n, err := strconv.Atoi(part); err == nil {
			return n
		}
	}
	return 0
}

// freePort asks the kernel for an unused port on 127.0.0.1.
func freePort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}

// reapStale stops servers left behind by test binaries that died before
// StopShared (killed, or a package without TestMain).
func reapStale(pgctl string) {
	dirs, _ := filepath.Glob(filepath.Join(os.TempDir(), "volact-pgtest-*"))
	for _, dir := range dirs {
		b, err := os.ReadFile(filepath.Join(dir, "owner"))
		if err != nil {
			continue
		}
		pid, err := strconv.Atoi(strings.TrimSpace(string(b)))
		if err != nil || pid <= 0 || alive(pid) {
			continue
		}
		s := &server{dir: dir, pgctl: pgctl}
		if os.Geteuid() == 0 {
			if s.dropRoot() != nil {
				continue
			}
		}
		s.run(pgctl, "-D", s.data(), "-m", "immediate", "-w", "stop")
		os.RemoveAll(dir)
	}
}

// alive reports whether process pid exists.
func alive(pid int) bool {
	p, err := os.FindProcess(pid)
	if err != nil {
		return false
	}
	err = p.Signal(syscall.Signal(0))
	return err == nil || errors.Is(err, os.ErrPermission) || errors.Is(err, syscall.EPERM)
}
