package machineid

// osSources reads Linux's sources from the real root.
func osSources() []rawSource { return fileSources("/") }
