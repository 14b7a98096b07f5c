// Package oidctest gives oncelink's tests what they need of an OpenID
// provider beyond mockoidc's own: a person whom the provider says it
// signed in at a given time, as the ID token's auth_time.
package oidctest

import (
	"encoding/json"
	"time"

	"github.com/golang-jwt/jwt/v5"
	"github.com/oauth2-proxy/mockoidc"
)

// AuthTimeUser is a person whose ID tokens carry At as their auth_time,
// written as it is: a Unix time for a provider that keeps the standard,
// or anything else (a string, a negative number) for one that does not.
type AuthTimeUser struct {
	*mockoidc.MockUser
	At any
}

// SignedInAt is u, whom the provider says it signed in at at.
func SignedInAt(u *mockoidc.MockUser, at time.Time) AuthTimeUser {
	return AuthTimeUser{MockUser: u, At: at.Unix()}
}

// Claims are u's claims with its auth_time.
func (u AuthTimeUser) Claims(scopes []string, base *mockoidc.IDTokenClaims) (jwt.Claims, error) {
	c, err := u.MockUser.Claims(scopes, base)
	if err != nil {
		return nil, err
	}
	b, err := json.Marshal(c)
	if err != nil {
		return nil, err
	}
	var m jwt.MapClaims
	if err := json.Unmarshal(b, &m); err != nil {
		return nil, err
	}
	m["auth_time"] = u.At
	return m, nil
}
