package main

import (
	"bytes"
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"log"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"syscall"
	"testing"
	"time"

	"oncelink/client"
	"oncelink/i18n"
	"oncelink/internal/proxytest"
)

// TestSystemErrorsSaid: the errors of the system and the network are said
// from the catalogs, in each language, with the file or the host they are
// about; what has no message of its own is still a system error, in the
// language, with Go's text.
func TestSystemErrorsSaid(t *testing.T) {
	refused := &net.OpError{Op: "dial", Net: "tcp", Err: os.NewSyscallError("connect", syscall.ECONNREFUSED)}
	for lang := range locales {
		l := i18n.For(lang)
		path := func(p, id string) string {
			return l.T("cli.sys.about", "Name", p, "Problem", l.T(id))
		}
		for _, tc := range []struct {
			err  error
			want string
		}{
			{&fs.PathError{Op: "open", Path: "/nonexistent", Err: syscall.ENOENT}, path("/nonexistent", "cli.sys.not_exist")},
			{&fs.PathError{Op: "open", Path: "/root/x", Err: syscall.EACCES}, path("/root/x", "cli.sys.permission")},
			{&fs.PathError{Op: "read", Path: "/tmp", Err: syscall.EISDIR}, path("/tmp", "cli.sys.is_dir")},
			{&fs.PathError{Op: "write", Path: "/mnt/x", Err: syscall.ENOSPC}, path("/mnt/x", "cli.sys.no_space")},
			{&os.LinkError{Op: "rename", Old: "/a/.x.part", New: "/a/x", Err: syscall.EROFS}, path("/a/x", "cli.sys.read_only")},
			{refused, l.T("cli.sys.refused")},
			{&net.OpError{Op: "dial", Net: "tcp", Err: os.NewSyscallError("connect", syscall.EHOSTUNREACH)}, l.T("cli.sys.no_route")},
			{&net.OpError{Op: "read", Net: "tcp", Err: os.NewSyscallError("read", syscall.ECONNRESET)}, l.T("cli.sys.cut")},
			{&net.OpError{Op: "write", Net: "tcp", Err: os.NewSyscallError("write", syscall.EPIPE)}, l.T("cli.sys.cut")},
			{io.EOF, l.T("cli.sys.cut")},
			{io.ErrUnexpectedEOF, l.T("cli.sys.cut")},
			// Standard output's pipe, after | head, is no connection.
			{&fs.PathError{Op: "write", Path: "/dev/stdout", Err: syscall.EPIPE}, path("/dev/stdout", "cli.sys.pipe_unread")},
			{&net.OpError{Op: "listen", Net: "tcp", Addr: &net.TCPAddr{IP: net.IPv4(127, 0, 0, 1), Port: 8080}, Err: os.NewSyscallError("bind", syscall.EADDRINUSE)},
				l.T("cli.sys.about", "Name", "127.0.0.1:8080", "Problem", l.T("cli.sys.in_use"))},
			{&net.OpError{Op: "dial", Net: "tcp", Err: &net.DNSError{Err: "no such host", Name: "shrae.example.com", IsNotFound: true}},
				l.T("cli.sys.dns_not_found", "Name", "shrae.example.com")},
			{&net.DNSError{Err: "server misbehaving", Name: "share.example.com"}, l.T("cli.sys.dns_failed", "Name", "share.example.com")},
			{&net.OpError{Op: "dial", Net: "tcp", Err: os.ErrDeadlineExceeded}, l.T("cli.sys.timeout")},
			{&tls.CertificateVerificationError{Err: x509.UnknownAuthorityError{}}, l.T("cli.sys.cert_authority")},
			{&tls.CertificateVerificationError{Err: x509.HostnameError{Certificate: &x509.Certificate{}, Host: "share.example.com"}},
				l.T("cli.sys.cert_name", "Host", "share.example.com")},
			{&tls.CertificateVerificationError{Err: x509.CertificateInvalidError{Cert: &x509.Certificate{}, Reason: x509.Expired}}, l.T("cli.sys.cert_expired")},
			{tls.RecordHeaderError{Msg: "first record does not look like a TLS handshake"}, l.T("cli.sys.not_tls")},
			{&fs.PathError{Op: "open", Path: "/dev/x", Err: syscall.ENXIO}, l.T("cli.sys.about", "Name", "/dev/x", "Problem",
				l.T("cli.sys.unknown", "Err", syscall.ENXIO.Error()))},
		} {
			// As the client and the commands wrap them.
			err := fmt.Errorf("%s: %w", "wrapped", tc.err)
			got := saySystem(l, err)
			if want := l.T("cli.client.problem", "Title", "wrapped", "Detail", tc.want); got.Error() != want {
				t.Errorf("%s: %v is said %q, want %q", lang, tc.err, got, want)
			}
			if !errors.Is(got, tc.err) {
				t.Errorf("%s: %q is no longer %v", lang, got, tc.err)
			}
			// As the client says what it could not do, in the language's
			// own join (French sets a no-break space before the colon):
			// the words are joined once, with one space.
			got = saySystem(l, client.Caused(l, "wrapped", tc.err))
			if want := l.T("cli.client.problem", "Title", "wrapped", "Detail", tc.want); got.Error() != want {
				t.Errorf("%s: %v, as the client says it, is said %q, want %q", lang, tc.err, got, want)
			}
		}
		// A refused connection that no words wrap still names the address.
		dial := &net.OpError{Op: "dial", Net: "tcp", Addr: &net.TCPAddr{IP: net.IPv4(10, 0, 0, 5), Port: 5432},
			Err: os.NewSyscallError("connect", syscall.ECONNREFUSED)}
		if got, want := saySystem(l, dial).Error(), l.T("cli.sys.about", "Name", "10.0.0.5:5432", "Problem", l.T("cli.sys.refused")); got != want {
			t.Errorf("%s: %v is said %q, want %q", lang, dial, got, want)
		}
	}
}

// TestCommandsSaySystemErrors: a file that is not there, a server that
// refuses the connection, and one whose certificate this computer does not
// trust, as the commands say them in German.
func TestCommandsSaySystemErrors(t *testing.T) {
	de := i18n.For("de")
	env := map[string]string{"LANG": "de_DE.UTF-8", "ONCELINK_URL": "http://127.0.0.1:1", "ONCELINK_API_KEY": "ol_" + strings.Repeat("x", 43)}
	r := runCLI(t, env, "", "share", "--file", "/nonexistent")
	want := "--file: " + de.T("cli.sys.about", "Name", "/nonexistent", "Problem", de.T("cli.sys.not_exist")) + "\n"
	if r.code != exitUsage || !strings.HasPrefix(r.err.Error(), want) || !errors.Is(r.err, fs.ErrNotExist) {
		t.Errorf("share --file /nonexistent: %d, %v; want %q", r.code, r.err, want)
	}

	r = runCLI(t, map[string]string{"LANG": "de_DE.UTF-8"}, "", "open", "http://127.0.0.1:1/l/x")
	want = de.T("cli.client.problem", "Title", de.T("cli.client.unreachable", "Host", "127.0.0.1:1"), "Detail", de.T("cli.sys.refused"))
	if r.code != exitFailed || r.err.Error() != want || !errors.Is(r.err, syscall.ECONNREFUSED) {
		t.Errorf("open of a closed port: %d, %v; want %q", r.code, r.err, want)
	}

	r = runCLI(t, map[string]string{"LANG": "de_DE.UTF-8"}, "", "open", "-o", "/nonexistent/x", "http://127.0.0.1:1/l/x")
	want = de.T("cli.open.output_unwritable", "Path", "/nonexistent/x", "Err", de.T("cli.sys.not_exist"))
	if r.code != exitUsage || !strings.HasPrefix(r.err.Error(), want+"\n") {
		t.Errorf("open -o /nonexistent/x: %d, %v; want %q", r.code, r.err, want)
	}

	// A server that takes the connection and closes it without a word.
	cutter := proxytest.Raw(t, func(c net.Conn) {
		io.ReadAll(io.LimitReader(c, 1)) // the request has come
		c.Close()
	})
	r = runCLI(t, map[string]string{"LANG": "de_DE.UTF-8"}, "", "open", "http://"+cutter+"/l/x")
	want = de.T("cli.client.problem", "Title", de.T("cli.client.unreachable", "Host", cutter), "Detail", de.T("cli.sys.cut"))
	if r.code != exitFailed || r.err.Error() != want {
		t.Errorf("open from a server that closes the connection: %d, %v; want %q", r.code, r.err, want)
	}

	s := httptest.NewUnstartedServer(http.NotFoundHandler())
	s.Config.ErrorLog = log.New(io.Discard, "", 0) // the handshake that fails
	s.StartTLS()
	defer s.Close()
	host := strings.TrimPrefix(s.URL, "https://")
	r = runCLI(t, map[string]string{"LANG": "de_DE.UTF-8"}, "", "open", s.URL+"/l/x")
	want = de.T("cli.client.problem", "Title", de.T("cli.client.unreachable", "Host", host), "Detail", de.T("cli.sys.cert_authority"))
	if r.code != exitFailed || r.err.Error() != want {
		t.Errorf("open from a server with a certificate of no known authority: %d, %v; want %q", r.code, r.err, want)
	}
}

// TestTimeoutSaidOnce: a server that takes the connection and never
// answers is said, in each language, to have not answered in time, once:
// the client's words say the timeout, and no second one follows them.
func TestTimeoutSaidOnce(t *testing.T) {
	host := proxytest.Raw(t, func(net.Conn) {}) // read nothing, answer nothing
	for lang, locale := range locales {
		l := i18n.For(lang)
		ctx, cancel := context.WithTimeout(t.Context(), 300*time.Millisecond)
		var stdout, stderr bytes.Buffer
		err := run(ctx, []string{"open", "http://" + host + "/l/x"}, func(k string) string { return map[string]string{"LANG": locale}[k] },
			strings.NewReader(""), &stdout, &stderr)
		cancel()
		want := l.T("cli.client.timeout", "Host", host)
		if exitCode(err) != exitFailed || err.Error() != want || !errors.Is(err, context.DeadlineExceeded) {
			t.Errorf("%s: open from a server that never answers: %d, %v; want %q", lang, exitCode(err), err, want)
		}
	}
}
