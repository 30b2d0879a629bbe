package kms_test

import (
	"testing"

	"github.com/volact/volact/internal/pgtest"
)

// TestMain stops the throwaway PostgreSQL server of the shared-count tests.
func TestMain(m *testing.M) { pgtest.Main(m) }
