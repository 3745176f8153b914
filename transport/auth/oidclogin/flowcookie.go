package oidclogin

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/hkdf"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"errors"
)

// flow is what Finish needs from Begin. It lives only in the sealed cookie,
// so the server keeps no state and any replica can finish a flow.
type flow struct {
	State    string `json:"s"`
	Nonce    string `json:"n"`
	Verifier string `json:"v"`
	ReturnTo string `json:"r"`
	Provider string `json:"p"`
	Expires  int64  `json:"e"` // Unix seconds
}

// newAEAD derives the cookie key from sealKey rather than using it as is, so
// a key shared with other purposes never encrypts under the same bytes twice.
func newAEAD(sealKey []byte) (cipher.AEAD, error) {
	key, err := hkdf.Key(sha256.New, sealKey, nil, "tidbok oidclogin flow cookie v1", 32)
	if err != nil {
		return nil, err
	}
	block, err := aes.NewCipher(key)
	if err != nil {
		return nil, err
	}
	return cipher.NewGCM(block)
}

// seal encrypts f; the cookie's name is authenticated with it, so a flow
// begun for one provider cannot be finished at another.
func (rp *RelyingParty) seal(f flow) (string, error) {
	plain, err := json.Marshal(f)
	if err != nil {
		return "", err
	}
	nonce := make([]byte, rp.aead.NonceSize(), rp.aead.NonceSize()+len(plain)+rp.aead.Overhead())
	if _, err := rand.Read(nonce); err != nil {
		return "", err
	}
	return base64.RawURLEncoding.EncodeToString(rp.aead.Seal(nonce, nonce, plain, []byte(rp.cookieName))), nil
}

func (rp *RelyingParty) open(value string) (flow, error) {
	sealed, err := base64.RawURLEncoding.DecodeString(value)
	if err != nil {
		return flow{}, err
	}
	n := rp.aead.NonceSize()
	if len(sealed) < n+rp.aead.Overhead() {
		return flow{}, errors.New("flow cookie too short")
	}
	plain, err := rp.aead.Open(nil, sealed[:n], sealed[n:], []byte(rp.cookieName))
	if err != nil {
		return flow{}, err
	}
	var f flow
	if err := json.Unmarshal(plain, &f); err != nil {
		return flow{}, err
	}
	return f, nil
}
