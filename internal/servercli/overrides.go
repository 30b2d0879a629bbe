package servercli

import (
	"slices"

	"github.com/spf13/cobra"

	"github.com/volact/volact/internal/authority"
	"github.com/volact/volact/internal/catalog"
	"github.com/volact/volact/internal/cmdutil"
	"github.com/volact/volact/internal/kms"
)

// checkOverrides refuses VOLACT_CLOCK_OFFSET and VOLACT_MACHINE_ID unless
// the authority's signed catalog allows them (volactd mak init
// --allow-overrides): one line naming the variable and the policy, exit 3.
func checkOverrides(f *cmdutil.Factory, cat *catalog.Catalog) error {
	for _, n := range catalog.Overrides() {
		if f.Getenv(catalog.OverrideVariable(n)) == "" {
			continue
		}
		if err := cat.CheckOverride(n); err != nil {
			return err
		}
	}
	return nil
}

// loadAuthority loads the authority in dir and checks the overrides
// against its catalog.
func loadAuthority(f *cmdutil.Factory, dir string) (*authority.Authority, error) {
	a, err := authority.Load(dir)
	if err != nil {
		return nil, err
	}
	if err := checkOverrides(f, a.Catalog); err != nil {
		return nil, err
	}
	return a, nil
}

// checkHostOverrides checks the overrides against the catalog being
// installed (catData) or the one in the host's data directory. Without a
// readable catalog it checks nothing: the verb reports that itself.
func checkHostOverrides(f *cmdutil.Factory, dir string, catData []byte) error {
	var cat *catalog.Catalog
	var err error
	if catData != nil {
		cat, err = catalog.Parse(catData)
	} else {
		cat, err = kms.ReadCatalog(dir)
	}
	if err != nil {
		return nil
	}
	return checkOverrides(f, cat)
}

// ownOverrideCheck marks a verb under kms that checks the overrides itself
// (install-key: against the catalog it installs), so guardHostOverrides
// leaves it alone.
const ownOverrideCheck = "volact/own-override-check"

// guardHostOverrides makes every verb under cmd that takes --data check
// the overrides against the host's catalog (checkHostOverrides) before it
// runs: status, history, events and the rest read the clock too, so no
// verb of the host may honour VOLACT_CLOCK_OFFSET or VOLACT_MACHINE_ID
// against its catalog's policy.
func guardHostOverrides(f *cmdutil.Factory, cmd *cobra.Command) {
	for _, c := range cmd.Commands() {
		guardHostOverrides(f, c)
	}
	run := cmd.RunE
	if run == nil || cmd.Flags().Lookup("data") == nil || cmd.Annotations[ownOverrideCheck] != "" {
		return
	}
	cmd.RunE = func(c *cobra.Command, args []string) error {
		dir, err := c.Flags().GetString("data")
		if err != nil {
			return err
		}
		if err := checkHostOverrides(f, dir, nil); err != nil {
			return err
		}
		return run(c, args)
	}
}

// checkInitOverrides checks the one override mak init reads, the clock
// (the catalog's issue time), against the overrides the new catalog will
// allow: a clock moved without that policy is refused as everywhere else.
func checkInitOverrides(f *cmdutil.Factory, allowed []string) error {
	if f.Getenv(catalog.OverrideVariable(catalog.OverrideClock)) == "" || slices.Contains(allowed, catalog.OverrideClock) {
		return nil
	}
	var none *catalog.Catalog
	return none.OverrideRefused(catalog.OverrideClock)
}
