package e2e_test

import (
	"net"
	"os"
	"strconv"
	"sync"

	"github.com/rogpeppe/go-internal/testscript"

	"github.com/volact/volact/internal/discovery/dnstest"
)

// dnsServers holds each running script's DNS server.
var dnsServers sync.Map // *testscript.TestScript -> *dnstest.Server

// cmdDNS runs a real DNS server on loopback for a script:
//
//	dns start FILE                          start it; write its host:port to FILE
//	dns srv NAME PRIORITY WEIGHT PORT TARGET add an SRV record (PORT may be host:port)
//	dns addr NAME IP                        add an A or AAAA record
//	dns rm NAME                             remove every record of NAME
func cmdDNS(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) == 0 {
		ts.Fatalf("usage: dns start FILE | srv NAME PRIORITY WEIGHT PORT TARGET | addr NAME IP | rm NAME")
	}
	if args[0] == "start" {
		if len(args) != 2 {
			ts.Fatalf("usage: dns start FILE")
		}
		s, err := dnstest.Start()
		ts.Check(err)
		dnsServers.Store(ts, s)
		ts.Defer(func() { s.Close(); dnsServers.Delete(ts) })
		ts.Check(os.WriteFile(ts.MkAbs(args[1]), []byte(s.Addr+"\n"), 0o644))
		return
	}
	v, ok := dnsServers.Load(ts)
	if !ok {
		ts.Fatalf("dns: no server: run dns start FILE first")
	}
	s := v.(*dnstest.Server)
	switch {
	case args[0] == "srv" && len(args) == 6:
		prio, err1 := strconv.ParseUint(args[2], 10, 16)
		weight, err2 := strconv.ParseUint(args[3], 10, 16)
		p := args[4]
		if _, port, err := net.SplitHostPort(p); err == nil {
			p = port
		}
		port, err3 := strconv.ParseUint(p, 10, 16)
		if err1 != nil || err2 != nil || err3 != nil {
			ts.Fatalf("dns srv: priority, weight and port must be numbers")
		}
		s.AddSRV(args[1], uint16(prio), uint16(weight), uint16(port), args[5])
	case args[0] == "addr" && len(args) == 3:
		ts.Check(s.AddAddr(args[1], args[2]))
	case args[0] == "rm" && len(args) == 2:
		s.Remove(args[1])
	default:
		ts.Fatalf("usage: dns start FILE | srv NAME PRIORITY WEIGHT PORT TARGET | addr NAME IP | rm NAME")
	}
}
