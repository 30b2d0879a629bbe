package protocol

import (
	"slices"
	"strings"
	"time"
)

// GrantRules is what the verifier's catalog says about the product a grant
// is for: the counted group a KMS host must serve to activate it, and how
// long a KMS activation of it may stay valid.
type GrantRules struct {
	Group       string        // the SKU's counted group
	KMSValidity time.Duration // longest a KMS grant may run past its issue time; must be > 0
}

// CheckGrant checks that the holder of cert may sign g (design §4). It is
// the second half of verifying a grant: [Open] proves who signed it, and
// CheckGrant whether that signer may sign it.
//
//   - A "service" certificate signs MAK grants (kind "mak": MAK, retail and
//     proxy activations) and nothing else.
//   - A "kms-host" certificate signs KMS grants (kind "kms") only: for a SKU
//     of a group the certificate lists, with an expiry after the issue time
//     and at most r.KMSValidity past it.
//   - Any other role, including none (certificates made before roles were
//     checked), signs nothing.
//   - Every grant has an issue time within its certificate's validity
//     (IssuedAt may precede the certificate's by up to [MaxClockSkew], the
//     clock difference a host and the service may have).
//
// r is nil when the verifier's catalog does not list the grant's SKU: the
// group and validity rules are then not checked, because such a grant
// licenses nothing here. Failures are hresult.BadSignature (exit 3); a
// caller that read g from its own store reports them as tampering.
func CheckGrant(g Grant, cert *Certificate, r *GrantRules) error {
	if cert == nil {
		return badSig("the grant of %s carries no certificate", g.SKU)
	}
	switch {
	case g.IssuedAt.IsZero():
		return badSig("the grant of %s has no issue time", g.SKU)
	case g.IssuedAt.Before(cert.IssuedAt.Add(-MaxClockSkew)):
		return badSig("the grant of %s was issued at %s, before its signer's certificate (issued %s)",
			g.SKU, stamp(g.IssuedAt), stamp(cert.IssuedAt))
	case !cert.NotAfter.IsZero() && g.IssuedAt.After(cert.NotAfter):
		return badSig("the grant of %s was issued at %s, after its signer's certificate expired (%s)",
			g.SKU, stamp(g.IssuedAt), stamp(cert.NotAfter))
	}
	switch cert.Role {
	case RoleService:
		if g.Kind != KindMAK {
			return badSig("the activation service signed a %q grant for %s; it signs only MAK grants", g.Kind, g.SKU)
		}
		return nil
	case RoleKMSHost:
		return checkKMSGrant(g, cert, r)
	case "":
		return badSig("the grant of %s is signed by %q under a certificate without a role, which may sign nothing", g.SKU, cert.Subject).
			WithHint("the certificate predates roles: reactivate the signer (volactd kms activate) and then this machine")
	}
	return badSig("the grant of %s is signed under a %q certificate, which may sign no grants", g.SKU, cert.Role)
}

// checkKMSGrant applies the rules for a grant signed by a KMS host.
func checkKMSGrant(g Grant, cert *Certificate, r *GrantRules) error {
	if g.Kind != KindKMS {
		return badSig("KMS host %q signed a %q grant for %s; a KMS host signs only KMS grants", cert.Subject, g.Kind, g.SKU)
	}
	if g.ExpiresAt.IsZero() || !g.ExpiresAt.After(g.IssuedAt) {
		return badSig("the KMS grant of %s from host %q has no valid expiry", g.SKU, cert.Subject)
	}
	if r == nil {
		return nil
	}
	if !slices.ContainsFunc(cert.Groups, func(s string) bool { return strings.EqualFold(s, r.Group) }) {
		return badSig("KMS host %q signed a grant for %s, of group %s, which its certificate does not cover (it covers %s)",
			cert.Subject, g.SKU, r.Group, strings.Join(cert.Groups, ", "))
	}
	if d := g.ExpiresAt.Sub(g.IssuedAt); r.KMSValidity <= 0 || d > r.KMSValidity {
		return badSig("the KMS grant of %s from host %q is valid until %s (issued %s); the catalog allows at most %d days",
			g.SKU, cert.Subject, stamp(g.ExpiresAt), stamp(g.IssuedAt), int(r.KMSValidity/(24*time.Hour)))
	}
	return nil
}

func stamp(t time.Time) string { return t.UTC().Format(time.RFC3339) }
