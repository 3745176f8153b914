package pin

import (
	"bytes"
	"encoding/base64"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
)

func TestKeyFromBase64(t *testing.T) {
	key := testKey(t, 7)
	enc := base64.StdEncoding.EncodeToString(key)
	for _, in := range []string{enc, enc + "\n", "  " + enc + " \n"} {
		got, err := KeyFromBase64(in)
		if err != nil {
			t.Fatalf("KeyFromBase64: %v", err)
		}
		if !bytes.Equal(got, key) {
			t.Fatal("KeyFromBase64 did not give back the encoded key")
		}
	}
}

func TestKeyFromBase64Refuses(t *testing.T) {
	enc := base64.StdEncoding.EncodeToString(testKey(t, 7))
	tests := []struct {
		name string
		in   string
	}{
		{"empty", ""},
		{"not base64", "this is not a key at all, but it is long enough to look like one!!!!!!!!!!!!!!!!!!!"},
		{"32 bytes", base64.StdEncoding.EncodeToString(make([]byte, 32))},
		{"63 bytes", base64.StdEncoding.EncodeToString(make([]byte, 63))},
		{"65 bytes", base64.StdEncoding.EncodeToString(make([]byte, 65))},
		{"unpadded", strings.TrimRight(enc, "=")},
		{"hex instead of base64", strings.Repeat("ab", 64)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := KeyFromBase64(tt.in)
			if err == nil {
				t.Fatal("want an error")
			}
			if len(tt.in) > 8 && strings.Contains(err.Error(), tt.in[:8]) {
				t.Errorf("error %q repeats the key", err)
			}
		})
	}
}

func skipOnWindows(t *testing.T) {
	t.Helper()
	if runtime.GOOS == "windows" {
		t.Skip("Unix permission bits")
	}
}

func TestLoadOrCreateKeyFileCreatesAPrivateFileAndRereadsIt(t *testing.T) {
	skipOnWindows(t)
	dir := filepath.Join(t.TempDir(), "data", "keys")
	path := filepath.Join(dir, "pin.key")

	key, err := LoadOrCreateKeyFile(path)
	if err != nil {
		t.Fatalf("create: %v", err)
	}
	if len(key) != KeySize || bytes.Equal(key, make([]byte, KeySize)) {
		t.Fatalf("new key is %d bytes or all zero", len(key))
	}
	info, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	if perm := info.Mode().Perm(); perm != 0o600 {
		t.Errorf("key file mode %04o, want 0600", perm)
	}
	dinfo, err := os.Stat(dir)
	if err != nil {
		t.Fatal(err)
	}
	if perm := dinfo.Mode().Perm(); perm != 0o700 {
		t.Errorf("key directory mode %04o, want 0700", perm)
	}
	content, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if string(content) != base64.StdEncoding.EncodeToString(key)+"\n" {
		t.Errorf("file holds %q, want the base64 of the returned key", content)
	}

	again, err := LoadOrCreateKeyFile(path)
	if err != nil {
		t.Fatalf("reread: %v", err)
	}
	if !bytes.Equal(again, key) {
		t.Fatal("second call gave a different key")
	}
	if _, err := NewSealer(again); err != nil {
		t.Errorf("the key does not make a Sealer: %v", err)
	}
	other, err := LoadOrCreateKeyFile(filepath.Join(dir, "other.key"))
	if err != nil {
		t.Fatal(err)
	}
	if bytes.Equal(other, key) {
		t.Error("two new key files got the same key")
	}
}

func TestLoadOrCreateKeyFileReadsAnExistingKey(t *testing.T) {
	skipOnWindows(t)
	key := testKey(t, 9)
	for _, mode := range []os.FileMode{0o600, 0o400} {
		path := filepath.Join(t.TempDir(), "pin.key")
		writeFile(t, path, base64.StdEncoding.EncodeToString(key)+"\n", mode)
		got, err := LoadOrCreateKeyFile(path)
		if err != nil {
			t.Fatalf("mode %04o: %v", mode, err)
		}
		if !bytes.Equal(got, key) {
			t.Errorf("mode %04o: got another key than the file holds", mode)
		}
	}
}

func TestLoadOrCreateKeyFileRefusesAndLeavesTheFileAlone(t *testing.T) {
	skipOnWindows(t)
	good := base64.StdEncoding.EncodeToString(testKey(t, 9)) + "\n"
	tests := []struct {
		name    string
		content string
		mode    os.FileMode
		reason  string
	}{
		{"readable by others", good, 0o644, "chmod 600"},
		{"readable by group", good, 0o640, "chmod 600"},
		{"writable by group", good, 0o620, "chmod 600"},
		{"owner may execute", good, 0o700, "chmod 600"},
		{"empty, as after a crash while creating", "", 0o600, "must decode to 64 bytes"},
		{"not base64", "hunter2\n", 0o600, "not valid standard base64"},
		{"a 32-byte key", base64.StdEncoding.EncodeToString(make([]byte, 32)), 0o600, "must decode to 64 bytes"},
		{"much too long", strings.Repeat(good, 20), 0o600, "should hold only"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "pin.key")
			writeFile(t, path, tt.content, tt.mode)
			_, err := LoadOrCreateKeyFile(path)
			if err == nil {
				t.Fatal("want an error")
			}
			if !strings.Contains(err.Error(), tt.reason) || !strings.Contains(err.Error(), path) {
				t.Errorf("error %q, want it to name the file and say %q", err, tt.reason)
			}
			after, rerr := os.ReadFile(path)
			if rerr != nil || string(after) != tt.content {
				t.Error("a refused key file must be left as it was")
			}
		})
	}
}

func TestLoadOrCreateKeyFileRefusesADirectory(t *testing.T) {
	path := filepath.Join(t.TempDir(), "pin.key")
	if err := os.Mkdir(path, 0o700); err != nil {
		t.Fatal(err)
	}
	if _, err := LoadOrCreateKeyFile(path); err == nil {
		t.Error("a directory at the key path must be refused")
	}
}

// writeFile writes content with exactly mode, whatever the umask.
func writeFile(t *testing.T, path, content string, mode os.FileMode) {
	t.Helper()
	if err := os.WriteFile(path, []byte(content), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(path, mode); err != nil {
		t.Fatal(err)
	}
}
