package authority

import (
	"crypto/ed25519"
	"crypto/x509"
	"encoding/pem"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"runtime"

	"github.com/volact/volact/internal/hresult"
)

// writeFile writes data to path atomically: a temporary file in the same
// directory is written, synced and then renamed over path. With exclusive
// set it is linked instead, so an existing path is never replaced and the
// error wraps fs.ErrExist.
func writeFile(path string, data []byte, perm fs.FileMode, exclusive bool) error {
	dir := filepath.Dir(path)
	tmp, err := os.CreateTemp(dir, "."+filepath.Base(path)+".tmp-*")
	if err != nil {
		return err
	}
	name := tmp.Name()
	defer os.Remove(name) // no-op once renamed; removes the temp after a link
	if err := tmp.Chmod(perm); err != nil && runtime.GOOS != "windows" {
		tmp.Close()
		return err
	}
	if _, err := tmp.Write(data); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Sync(); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Close(); err != nil {
		return err
	}
	if exclusive {
		err = os.Link(name, path)
	} else {
		err = os.Rename(name, path)
	}
	if err != nil {
		return err
	}
	syncDir(dir)
	return nil
}

// syncDir makes a rename durable where the OS allows syncing a directory.
func syncDir(dir string) {
	if d, err := os.Open(dir); err == nil {
		_ = d.Sync() // not supported everywhere (Windows); the rename is done either way
		_ = d.Close()
	}
}

// encodeKey returns key as a PKCS #8 PEM block, as openssl writes it.
func encodeKey(key ed25519.PrivateKey) ([]byte, error) {
	der, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		return nil, err
	}
	return pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: der}), nil
}

// readKey reads an Ed25519 private key written by encodeKey, refusing a
// file that users other than the owner may read (except on Windows, where
// modes do not describe access).
func readKey(path string) (ed25519.PrivateKey, error) {
	fi, err := os.Stat(path)
	if err != nil {
		return nil, err
	}
	if mode := fi.Mode().Perm(); runtime.GOOS != "windows" && mode&0o077 != 0 {
		return nil, invalidArg("%s is accessible by other users (mode %04o)", path, mode).
			WithHint(fmt.Sprintf("restrict it to its owner: chmod 600 %s", path))
	}
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	block, _ := pem.Decode(data)
	if block == nil || block.Type != "PRIVATE KEY" {
		return nil, invalidArg("%s is not a PEM private key", path)
	}
	parsed, err := x509.ParsePKCS8PrivateKey(block.Bytes)
	if err != nil {
		return nil, invalidArg("%s is not a readable private key: %v", path, err)
	}
	key, ok := parsed.(ed25519.PrivateKey)
	if !ok {
		return nil, invalidArg("%s holds a %T, not an Ed25519 key", path, parsed)
	}
	return key, nil
}

// loadOrCreateKey reads the key at path, or creates and stores a new one
// (mode 0600) if there is none. Two processes racing agree on one key.
func loadOrCreateKey(path string) (ed25519.PrivateKey, error) {
	key, err := readKey(path)
	if !errors.Is(err, fs.ErrNotExist) {
		return key, err
	}
	_, key, err = ed25519.GenerateKey(nil)
	if err != nil {
		return nil, err
	}
	pemData, err := encodeKey(key)
	if err != nil {
		return nil, err
	}
	if err := writeFile(path, pemData, 0o600, true); errors.Is(err, fs.ErrExist) {
		return readKey(path)
	} else if err != nil {
		return nil, err
	}
	return key, nil
}

// invalidArg is an InvalidArg error with the exit status for invalid input (3).
func invalidArg(format string, args ...any) *hresult.Error {
	return hresult.Newf(hresult.InvalidArg, format, args...).WithExit(hresult.ExitInvalid)
}
