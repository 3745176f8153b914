package pin

import (
	"crypto/rand"
	"encoding/base64"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"runtime"
	"strings"
)

// KeyFromBase64 decodes a Sealer key given in configuration (standard base64
// of KeySize bytes, as LoadOrCreateKeyFile writes it). Its errors never
// contain the key.
func KeyFromBase64(s string) ([]byte, error) {
	key, err := decodeKey(s)
	if err != nil {
		return nil, fmt.Errorf("pin: key %w", err)
	}
	return key, nil
}

func decodeKey(s string) ([]byte, error) {
	key, err := base64.StdEncoding.DecodeString(strings.TrimSpace(s))
	if err != nil {
		return nil, errors.New("is not valid standard base64")
	}
	if len(key) != KeySize {
		return nil, fmt.Errorf("must decode to %d bytes, got %d", KeySize, len(key))
	}
	return key, nil
}

// maxKeyFileSize bounds what LoadOrCreateKeyFile reads: the base64 of a key
// with a line break is 90 bytes.
const maxKeyFileSize = 1024

// LoadOrCreateKeyFile returns the Sealer key kept in the file at path,
// creating the file with a new random key if it does not exist (for the
// embedded mode, where there is no configuration to hold a key). A new file is
// written with mode 0600, its directory created with 0700 if missing.
//
// An existing file is never overwritten — losing the key loses every sealed
// number — and it is refused if anyone but its owner may read or write it, or
// if it does not hold a key.
func LoadOrCreateKeyFile(path string) ([]byte, error) {
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return nil, fmt.Errorf("pin: key file directory: %w", err)
	}
	// O_EXCL: if the file appeared since we last looked, read it rather than
	// replace it.
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if errors.Is(err, fs.ErrExist) {
		return readKeyFile(path)
	}
	if err != nil {
		return nil, fmt.Errorf("pin: create key file: %w", err)
	}
	key := make([]byte, KeySize)
	rand.Read(key) // never fails; see crypto/rand.Read
	_, werr := f.WriteString(base64.StdEncoding.EncodeToString(key) + "\n")
	if werr == nil {
		werr = f.Sync()
	}
	if cerr := f.Close(); werr == nil {
		werr = cerr
	}
	if werr != nil {
		// A half-written file would be refused on every later start.
		os.Remove(path)
		return nil, fmt.Errorf("pin: write key file: %w", werr)
	}
	return key, nil
}

func readKeyFile(path string) ([]byte, error) {
	info, err := os.Stat(path)
	if err != nil {
		return nil, fmt.Errorf("pin: key file: %w", err)
	}
	if !info.Mode().IsRegular() {
		return nil, fmt.Errorf("pin: key file %s is not a regular file", path)
	}
	// Windows has no Unix permission bits; its ACLs are the operator's job.
	if perm := info.Mode().Perm(); perm&^0o600 != 0 && runtime.GOOS != "windows" {
		return nil, fmt.Errorf("pin: key file %s has mode %04o, but only its owner may read or write it: chmod 600 %s", path, perm, path)
	}
	if info.Size() > maxKeyFileSize {
		return nil, fmt.Errorf("pin: key file %s is %d bytes; it should hold only the base64 of a %d-byte key", path, info.Size(), KeySize)
	}
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("pin: key file: %w", err)
	}
	key, err := decodeKey(string(b))
	if err != nil {
		return nil, fmt.Errorf("pin: key file %s %w; restore it from a backup, or delete it if nothing was ever sealed with it", path, err)
	}
	return key, nil
}
