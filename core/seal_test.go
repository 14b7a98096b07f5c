package core

import (
	"bytes"
	"crypto/aes"
	"crypto/cipher"
	"crypto/hkdf"
	"crypto/sha256"
	"encoding/binary"
	"testing"
)

// What is sealed for a session opens with its token alone, and holds
// nothing of what was sealed in the clear.
func TestSealForSession(t *testing.T) {
	plain := []byte("abcd-efgh ijkl-mnop")
	sealed := SealForSession("token-a", plain)
	if bytes.Contains(sealed, []byte("abcd")) {
		t.Fatal("the codes are in the clear")
	}
	if got, err := OpenForSession("token-a", sealed); err != nil || !bytes.Equal(got, plain) {
		t.Fatalf("opened %q, %v", got, err)
	}
	if _, err := OpenForSession("token-b", sealed); err == nil {
		t.Fatal("another session's token opened it")
	}
	if _, err := OpenForSession("token-a", sealed[:len(sealed)-1]); err == nil {
		t.Fatal("a cut seal opened")
	}
}

// An authenticator-app secret sealed as earlier versions sealed it (a
// nonce of their own choosing in front) still opens, for its account
// alone.
func TestTOTPSecretsSealedEarlierOpen(t *testing.T) {
	s := &Service{key: bytes.Repeat([]byte{7}, 32)}
	key, err := hkdf.Key(sha256.New, s.key, nil, "oncelink totp secret v1", 32)
	if err != nil {
		t.Fatal(err)
	}
	block, _ := aes.NewCipher(key)
	gcm, _ := cipher.NewGCM(block)
	nonce := bytes.Repeat([]byte{1}, gcm.NonceSize())
	sealed := gcm.Seal(nonce, nonce, []byte("JBSWY3DPEHPK3PXP"), binary.BigEndian.AppendUint64(nil, 42))
	if got, err := s.openTOTP(42, sealed); err != nil || got != "JBSWY3DPEHPK3PXP" {
		t.Fatalf("opened %q, %v", got, err)
	}
	if _, err := s.openTOTP(43, sealed); err == nil {
		t.Fatal("another account's row opened it")
	}
	if got, err := s.openTOTP(42, s.sealTOTP(42, "NEWSECRET")); err != nil || got != "NEWSECRET" {
		t.Fatalf("a new seal opened as %q, %v", got, err)
	}
}
