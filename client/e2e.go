package client

import (
	"bufio"
	"bytes"
	"context"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"path/filepath"

	"oncelink/e2e"
	"oncelink/sniff"
)

// maxE2EText bounds the decrypted message or web address of an end-to-end
// link: what the server takes, with room to spare.
const maxE2EText = 1 << 20

// CreateE2ELink creates an end-to-end link (format oncelink-e2e v1, see
// package e2e): in's message, web address or file is encrypted here, as it
// is sent, under a new key that only the returned link's URL holds, after
// its "#". The server gets the ciphertext and the SHA-256 of the claim; a
// password, if any, gates the link on the server and is mixed into the
// key. Memory holds one chunk of a file, whatever its size.
func (c *Client) CreateE2ELink(ctx context.Context, in NewLink) (Link, error) {
	secret := e2e.NewSecret()
	key := e2e.Key(secret, in.Password)
	h := e2e.Header{Kind: in.Kind}
	var content io.Reader
	switch {
	case in.File != nil:
		// The type follows the content, as the server names a file's it
		// sees (package sniff): it decides what the recipient's browser
		// plays.
		br := bufio.NewReaderSize(in.File, e2e.ChunkSize)
		head, err := br.Peek(e2e.ChunkSize)
		if err != nil && !errors.Is(err, io.EOF) {
			return Link{}, Caused(c.loc(), c.t("cli.client.read_file", "Name", in.FileName), err)
		}
		h.Kind, h.Name, h.Type = "file", in.FileName, sniff.Type(head)
		content = br
	case in.URL != "":
		h.Kind, content = "url", bytes.NewReader([]byte(in.URL))
	default:
		h.Kind, content = "message", bytes.NewReader([]byte(in.Message))
	}
	pr, pw := io.Pipe()
	go func() {
		w, err := e2e.NewWriter(pw, key, h)
		if err == nil {
			if _, err = io.Copy(w, content); err == nil {
				err = w.Close()
			}
		}
		pw.CloseWithError(err)
	}()
	defer pr.Close()
	in.Kind, in.Message, in.URL = h.Kind, "", ""
	in.File, in.FileName = pr, "oncelink-e2e.bin"
	in.E2ECheck = base64.RawURLEncoding.EncodeToString(e2e.Check(e2e.Claim(secret)))
	l, err := c.CreateLink(ctx, in)
	if err != nil {
		return l, err
	}
	l.URL += "#" + e2e.EncodeSecret(secret)
	return l, nil
}

// ErrDecrypt is an end-to-end link whose content does not decrypt: a wrong
// key (the address was not copied whole), a wrong password, or content
// changed on the way. Nothing of it is given.
var ErrDecrypt = errors.New("the link's content does not decrypt: its key (the part after #) or its password is wrong, or the content was changed on the way; nothing of it is shown, and its use is spent")

// openE2E opens the end-to-end link tok of server base with the secret
// from its fragment, and decrypts what it delivers as it is read.
func (c *Client) openE2E(ctx context.Context, base, tok string, secret []byte, password string) (*Opened, error) {
	body := map[string]string{"claim": base64.RawURLEncoding.EncodeToString(e2e.Claim(secret))}
	if password != "" {
		body["password"] = password
	}
	res, err := c.postOpen(ctx, base, tok, body)
	if err != nil {
		return nil, err
	}
	if res.Header.Get("Oncelink-Kind") != "e2e" {
		// Content the key does not seal: whatever it says, it is not
		// known to be the sender's.
		res.Body.Close()
		return nil, errors.New(c.t("cli.client.not_e2e"))
	}
	r, err := e2e.NewReader(res.Body, e2e.Key(secret, password))
	if err != nil {
		res.Body.Close()
		return nil, decryptError(err)
	}
	o := &Opened{Kind: r.Header.Kind, Size: -1, EndToEnd: true}
	switch r.Header.Kind {
	case "message", "url":
		defer res.Body.Close()
		b, err := io.ReadAll(io.LimitReader(r, maxE2EText+1))
		if err != nil {
			return nil, decryptError(err)
		}
		if len(b) > maxE2EText {
			return nil, errors.New(c.t("cli.client.e2e_too_large"))
		}
		o.Message, o.URL = string(b), string(b)
		if o.Kind == "url" {
			o.Message = ""
		} else {
			o.URL = ""
		}
	case "file":
		o.Name, o.Type = filepath.Base(r.Header.Name), r.Header.Type
		o.Body = struct {
			io.Reader
			io.Closer
		}{decryptErrors{r}, res.Body}
	default:
		res.Body.Close()
		return nil, errors.New(c.t("cli.client.unknown_kind", "Kind", c.loc().Quote(r.Header.Kind)))
	}
	return o, nil
}

// decryptErrors reads a decrypted file, telling its errors as ErrDecrypt.
type decryptErrors struct{ r io.Reader }

func (d decryptErrors) Read(p []byte) (int, error) {
	n, err := d.r.Read(p)
	if err != nil && err != io.EOF {
		err = decryptError(err)
	}
	return n, err
}

func decryptError(err error) error {
	switch {
	case errors.Is(err, e2e.ErrTruncated):
		return fmt.Errorf("%w (it was cut short)", ErrDecrypt)
	case errors.Is(err, e2e.ErrCorrupt), errors.Is(err, e2e.ErrVersion):
		return ErrDecrypt
	}
	return err
}
