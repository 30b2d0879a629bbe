package authority

import (
	"crypto/ed25519"
	"crypto/x509"
	"encoding/pem"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"runtime"

	"github.com/volact/volact/internal/atomicfile"
	"github.com/volact/volact/internal/hresult"
)

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
	if err := atomicfile.Create(path, pemData, 0o600); errors.Is(err, fs.ErrExist) {
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
