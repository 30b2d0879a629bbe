//go:build tools

// Package tools pins modules that the code will import but does not yet.
package tools

import (
	_ "github.com/miekg/dns"
	_ "github.com/prometheus/client_golang/prometheus"
	_ "github.com/prometheus/client_golang/prometheus/promhttp"
)
