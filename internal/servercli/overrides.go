package servercli

import (
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
