package servercli

import (
	"net"
	"os"

	"github.com/volact/volact/internal/cmdutil"
)

// writeAddrFile writes what a server listens on (--addr-file) so scripts
// and tests can find a server started on port 0. With no path it does
// nothing; on failure it closes ln.
func writeAddrFile(path, addr string, ln net.Listener) error {
	if path == "" {
		return nil
	}
	if err := cmdutil.WriteOutFile(os.Stdout, "--addr-file", path, []byte(addr+"\n"), 0o644); err != nil {
		ln.Close()
		return err
	}
	return nil
}
