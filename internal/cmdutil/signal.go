package cmdutil

import (
	"context"
	"os/signal"
	"syscall"
)

// InterruptContext is cancelled by SIGINT or SIGTERM: servers shut down
// gracefully and clients stop waiting.
func InterruptContext() (context.Context, context.CancelFunc) {
	return signal.NotifyContext(context.Background(), syscall.SIGINT, syscall.SIGTERM)
}
