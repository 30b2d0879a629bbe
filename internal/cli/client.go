package cli

import (
	"github.com/volact/volact/internal/client"
	"github.com/volact/volact/internal/machineid"
	"github.com/volact/volact/internal/store"
)

// Client builds the activation client from the global options.
func (f *Factory) Client() (*client.Client, error) {
	dir := f.Opts.Store
	if dir == "" {
		dir = store.DefaultDir()
	}
	hwid, err := machineid.ID(f.Getenv("VOLACT_MACHINE_ID"))
	if err != nil {
		return nil, err
	}
	return client.New(client.Options{
		StoreDir:    dir,
		CatalogPath: f.Opts.Catalog,
		Now:         f.mustNow,
		HardwareID:  hwid,
		ServiceURL:  f.Opts.Service,
		DNSServer:   f.Opts.DNSServer,
	}), nil
}
