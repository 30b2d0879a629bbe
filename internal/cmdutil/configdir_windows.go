package cmdutil

import (
	"os"
	"path/filepath"
)

var systemConfigDir = filepath.Join(os.Getenv("ProgramData"), "volact")
