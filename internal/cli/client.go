package cli

import (
	"github.com/volact/volact/internal/client"
	"github.com/volact/volact/internal/cmdutil"
	"github.com/volact/volact/internal/machineid"
	"github.com/volact/volact/internal/store"
)

// newClient builds the activation client from the global options.
func newClient(f *cmdutil.Factory) (*client.Client, error) {
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
		Now:         f.MustNow,
		HardwareID:  hwid,
		ServiceURL:  f.Opts.Service,
		DNSServer:   f.Opts.DNSServer,
	}), nil
}

// colorStatus paints a status name for a terminal.
func colorStatus(io *cmdutil.IOStreams, status string) string {
	cs := io.ColorScheme()
	switch status {
	case "licensed":
		return cs.Green.Sprint(status)
	case "notification", "unlicensed":
		return cs.Red.Sprint(status)
	default:
		return cs.Yellow.Sprint(status)
	}
}
