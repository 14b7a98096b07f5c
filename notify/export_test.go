package notify

import (
	"crypto/tls"
	"crypto/x509"
)

// TrustForTest has m trust the certificates of roots alone, for a test's
// own mail server.
func TrustForTest(m *Mailer, roots *x509.CertPool, serverName string) {
	m.client.SetTLSConfig(&tls.Config{RootCAs: roots, ServerName: serverName, MinVersion: tls.VersionTLS12})
}

// Describe is what an attempt that failed with err records as its error.
func Describe(err error) string {
	text, _ := describe(err)
	return text
}
