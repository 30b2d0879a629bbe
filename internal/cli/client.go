package cli

import (
	"strings"

	"github.com/volact/volact/internal/build"
	"github.com/volact/volact/internal/catalog"
	"github.com/volact/volact/internal/client"
	"github.com/volact/volact/internal/cmdutil"
	"github.com/volact/volact/internal/hresult"
	"github.com/volact/volact/internal/license"
	"github.com/volact/volact/internal/machineid"
	"github.com/volact/volact/internal/store"
)

// newClient builds the activation client from the global options and
// refuses the test and container knobs (VOLACT_CLOCK_OFFSET,
// VOLACT_MACHINE_ID) unless the installed signed catalog allows them.
func newClient(f *cmdutil.Factory) (*client.Client, error) {
	c, err := buildClient(f)
	if err != nil {
		return nil, err
	}
	if err := checkOverrides(f, c); err != nil {
		return nil, err
	}
	return c, nil
}

// buildClient builds the activation client without the override check
// (catalog install: the catalog that holds the policy is being installed).
func buildClient(f *cmdutil.Factory) (*client.Client, error) {
	dir := f.Opts.Store
	if dir == "" {
		dir = store.DefaultDir()
	}
	roots, err := trustedRoots(build.TrustedRoots)
	if err != nil {
		return nil, err
	}
	// VOLACT_MACHINE_ID is honoured only if the catalog allows it: newClient
	// refuses it before any verb runs when the policy says no.
	id, err := machineid.Read(machineid.Options{Override: f.Getenv("VOLACT_MACHINE_ID")})
	if err != nil {
		return nil, err
	}
	return client.New(client.Options{
		StoreDir:     dir,
		CatalogPath:  f.Opts.Catalog,
		Now:          f.MustNow,
		Identity:     &id,
		ServiceURL:   f.Opts.Service,
		AllowHTTP:    f.Opts.AllowHTTP,
		DNSServer:    f.Opts.DNSServer,
		TrustedRoots: roots,
	}), nil
}

// trustedRoots parses the roots pinned at link time (build.TrustedRoots).
func trustedRoots(s string) ([]string, error) {
	var roots []string
	for _, r := range strings.Split(s, ",") {
		if r = strings.TrimSpace(r); r == "" {
			continue
		}
		fp, err := catalog.ParseRootFingerprint(r)
		if err != nil {
			return nil, hresult.Wrap(hresult.Internal, err, "this build pins a malformed root (TRUSTED_ROOTS)")
		}
		roots = append(roots, fp)
	}
	return roots, nil
}

// checkOverrides refuses VOLACT_CLOCK_OFFSET and VOLACT_MACHINE_ID unless
// the installed catalog's signed policy allows them (exit 3). With no
// catalog installed there is nothing to license and nothing to check: the
// verb reports the missing catalog itself.
func checkOverrides(f *cmdutil.Factory, c *client.Client) error {
	var names []string
	for _, n := range catalog.Overrides() {
		if f.Getenv(catalog.OverrideVariable(n)) != "" {
			names = append(names, n)
		}
	}
	if err := c.CheckOverrides(names...); err != nil && hresult.CodeOf(err) != hresult.NoCatalog {
		return err
	}
	return nil
}

// colorStatus paints a status name for a terminal.
func colorStatus(io *cmdutil.IOStreams, status license.Status) string {
	cs := io.ColorScheme()
	switch status {
	case license.Licensed:
		return cs.Green.Sprint(status)
	case license.Notification, license.Unlicensed:
		return cs.Red.Sprint(status)
	default:
		return cs.Yellow.Sprint(status)
	}
}
