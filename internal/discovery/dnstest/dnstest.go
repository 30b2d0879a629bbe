// Package dnstest is a small authoritative DNS server on loopback for
// tests: it serves SRV, A and AAAA records that the test adds, over UDP and
// TCP, with github.com/miekg/dns.
package dnstest

import (
	"fmt"
	"net"
	"net/netip"
	"strings"
	"sync"

	"github.com/miekg/dns"
)

// Server is a running DNS server.
type Server struct {
	Addr string // host:port the server answers on (UDP and TCP)

	mu      sync.Mutex
	records map[string][]dns.RR // by lower-case FQDN
	udp     *dns.Server
	tcp     *dns.Server
}

// Start starts a server on 127.0.0.1 on a free port.
func Start() (*Server, error) {
	// UDP and TCP on the same port: the UDP port the kernel picks may be
	// taken for TCP by another process, so try a few.
	var pc net.PacketConn
	var ln net.Listener
	var err error
	for range 20 {
		if pc, err = net.ListenPacket("udp", "127.0.0.1:0"); err != nil {
			return nil, err
		}
		if ln, err = net.Listen("tcp", pc.LocalAddr().String()); err == nil {
			break
		}
		pc.Close()
	}
	if err != nil {
		return nil, err
	}
	s := &Server{Addr: pc.LocalAddr().String(), records: map[string][]dns.RR{}}
	h := dns.HandlerFunc(s.serve)
	s.udp = &dns.Server{PacketConn: pc, Handler: h}
	s.tcp = &dns.Server{Listener: ln, Handler: h}
	udpUp, tcpUp := make(chan struct{}), make(chan struct{})
	s.udp.NotifyStartedFunc = func() { close(udpUp) }
	s.tcp.NotifyStartedFunc = func() { close(tcpUp) }
	go func() { _ = s.udp.ActivateAndServe() }()
	go func() { _ = s.tcp.ActivateAndServe() }()
	<-udpUp
	<-tcpUp
	return s, nil
}

// Close stops the server.
func (s *Server) Close() {
	_ = s.udp.Shutdown()
	_ = s.tcp.Shutdown()
}

// AddSRV adds an SRV record name -> target:port.
func (s *Server) AddSRV(name string, priority, weight, port uint16, target string) {
	s.add(&dns.SRV{Hdr: hdr(name, dns.TypeSRV), Priority: priority, Weight: weight, Port: port, Target: dns.Fqdn(target)})
}

// AddAddr adds an A or AAAA record for name.
func (s *Server) AddAddr(name, ip string) error {
	a, err := netip.ParseAddr(ip)
	if err != nil {
		return fmt.Errorf("dnstest: %q is not an IP address", ip)
	}
	if a.Is4() {
		s.add(&dns.A{Hdr: hdr(name, dns.TypeA), A: a.AsSlice()})
	} else {
		s.add(&dns.AAAA{Hdr: hdr(name, dns.TypeAAAA), AAAA: a.AsSlice()})
	}
	return nil
}

// Remove deletes every record of name.
func (s *Server) Remove(name string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	delete(s.records, key(name))
}

func hdr(name string, t uint16) dns.RR_Header {
	return dns.RR_Header{Name: dns.Fqdn(name), Rrtype: t, Class: dns.ClassINET, Ttl: 60}
}

func key(name string) string { return strings.ToLower(dns.Fqdn(name)) }

func (s *Server) add(rr dns.RR) {
	s.mu.Lock()
	defer s.mu.Unlock()
	k := key(rr.Header().Name)
	s.records[k] = append(s.records[k], rr)
}

func (s *Server) serve(w dns.ResponseWriter, r *dns.Msg) {
	m := new(dns.Msg)
	m.SetReply(r)
	m.Authoritative = true
	if len(r.Question) == 1 {
		q := r.Question[0]
		s.mu.Lock()
		rrs, ok := s.records[key(q.Name)]
		for _, rr := range rrs {
			if rr.Header().Rrtype == q.Qtype {
				m.Answer = append(m.Answer, dns.Copy(rr))
			}
		}
		s.mu.Unlock()
		if !ok {
			m.Rcode = dns.RcodeNameError
		}
	}
	_ = w.WriteMsg(m)
}
