package atomicfile

import "time"

// Retry limits for replaceFile on Windows: up to a second in all.
const (
	retryAttempts = 100
	retryDelay    = 10 * time.Millisecond
)

// pause waits between attempts; tests replace it so they never sleep.
var pause = time.Sleep

// retry calls op until it succeeds, fails with an error transient does not
// accept, or has been tried retryAttempts times; it returns op's last error.
func retry(op func() error, transient func(error) bool) error {
	var err error
	for i := 0; i < retryAttempts; i++ {
		if err = op(); err == nil || !transient(err) {
			return err
		}
		if i < retryAttempts-1 {
			pause(retryDelay)
		}
	}
	return err
}
