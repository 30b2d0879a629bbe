package httpserve

import (
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"errors"
	"fmt"
	"io/fs"
	"net/http"
	"os"
	"path/filepath"
	"strings"

	"github.com/volact/volact/internal/atomicfile"
)

// TokenFile is the admin token's file in a server's data directory (the
// activation service's authority directory, a KMS host's data directory).
const TokenFile = "admin.token"

// LoadOrCreateToken returns the admin token kept in dir/admin.token,
// creating a random one (mode 0600) when the file is missing; created says
// whether it did. The file is written whole under a temp name and linked
// into place: a kill at any moment, or a second server starting at once,
// never leaves an empty or half-written token file.
func LoadOrCreateToken(dir string) (token, path string, created bool, err error) {
	path = filepath.Join(dir, TokenFile)
	if data, err := os.ReadFile(path); err == nil {
		token = strings.TrimSpace(string(data))
		if token == "" {
			return "", path, false, fmt.Errorf("admin token file %s is empty", path)
		}
		return token, path, false, nil
	} else if !errors.Is(err, fs.ErrNotExist) {
		return "", path, false, fmt.Errorf("read admin token: %w", err)
	}
	b := make([]byte, 32)
	if _, err := rand.Read(b); err != nil {
		return "", path, false, fmt.Errorf("make admin token: %w", err)
	}
	token = base64.RawURLEncoding.EncodeToString(b)
	err = atomicfile.Create(path, []byte(token+"\n"), 0o600)
	if errors.Is(err, fs.ErrExist) { // another process made it first
		return LoadOrCreateToken(dir)
	}
	if err != nil {
		return "", path, false, fmt.Errorf("write admin token: %w", err)
	}
	return token, path, true, nil
}

// Authorized reports whether r carries "Authorization: Bearer <token>",
// compared in constant time (both sides hashed first, so that the time
// does not depend on their lengths either); an empty token authorizes no
// one. The token is read from the header only, never from the URL, which
// ends up in logs and browser history.
func Authorized(r *http.Request, token string) bool {
	got, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
	if !ok || token == "" {
		return false
	}
	a, b := sha256.Sum256([]byte(strings.TrimSpace(got))), sha256.Sum256([]byte(token))
	return subtle.ConstantTimeCompare(a[:], b[:]) == 1
}
