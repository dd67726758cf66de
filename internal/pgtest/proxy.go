package pgtest

import (
	"net"
	"sync"
	"testing"
)

// Proxy forwards TCP connections to a target and fails on demand:
//
//   - Refuse closes every connection and refuses new ones, as a server
//     restart or a closed port would: clients learn at once.
//   - Partition keeps every connection open, and accepts new ones, but
//     forwards nothing until Heal, as a network that drops packets would:
//     clients learn nothing and wait. Held bytes are delivered on Heal, as
//     TCP retransmission would.
type Proxy struct {
	ln     net.Listener
	target string

	mu       sync.Mutex
	refuse   bool
	open     chan struct{} // closed while forwarding, open while partitioned
	conns    map[net.Conn]bool
	closed   bool
	accepted int
}

// NewProxy listens on a loopback port and forwards to target (host:port)
// until t ends.
func NewProxy(t testing.TB, target string) *Proxy {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	open := make(chan struct{})
	close(open)
	p := &Proxy{ln: ln, target: target, open: open, conns: map[net.Conn]bool{}}
	t.Cleanup(p.close)
	go p.serve()
	return p
}

// Addr is the proxy's host:port.
func (p *Proxy) Addr() string { return p.ln.Addr().String() }

func (p *Proxy) serve() {
	for {
		c, err := p.ln.Accept()
		if err != nil {
			return
		}
		p.mu.Lock()
		if p.refuse || p.closed {
			p.mu.Unlock()
			_ = c.Close()
			continue
		}
		up, err := net.Dial("tcp", p.target)
		if err != nil {
			p.mu.Unlock()
			_ = c.Close()
			continue
		}
		p.conns[c], p.conns[up] = true, true
		p.accepted++
		p.mu.Unlock()
		go p.pipe(up, c)
		go p.pipe(c, up)
	}
}

// pipe copies src to dst, holding what it read while the network is
// partitioned.
func (p *Proxy) pipe(dst, src net.Conn) {
	buf := make([]byte, 32<<10)
	for {
		n, err := src.Read(buf)
		if n > 0 {
			<-p.gate()
			if _, werr := dst.Write(buf[:n]); werr != nil {
				break
			}
		}
		if err != nil {
			break
		}
	}
	_ = dst.Close()
}

// Accepted counts the connections forwarded (or held) so far.
func (p *Proxy) Accepted() int {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.accepted
}

func (p *Proxy) gate() <-chan struct{} {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.open
}

// Refuse closes every proxied connection and refuses new ones while down
// is true.
func (p *Proxy) Refuse(down bool) {
	p.mu.Lock()
	p.refuse = down
	p.mu.Unlock()
	if down {
		p.cut()
	}
}

// Partition stops forwarding: connections stay open, new ones are
// accepted, and nothing reaches either side until Heal.
func (p *Proxy) Partition() {
	p.mu.Lock()
	defer p.mu.Unlock()
	select {
	case <-p.open:
		p.open = make(chan struct{})
	default: // already partitioned
	}
}

// Heal ends a partition: what was held is delivered and forwarding
// resumes.
func (p *Proxy) Heal() {
	p.mu.Lock()
	defer p.mu.Unlock()
	select {
	case <-p.open:
	default:
		close(p.open)
	}
}

// cut closes every proxied connection.
func (p *Proxy) cut() {
	p.mu.Lock()
	defer p.mu.Unlock()
	for c := range p.conns {
		_ = c.Close()
	}
	clear(p.conns)
}

func (p *Proxy) close() {
	_ = p.ln.Close()
	p.mu.Lock()
	p.closed = true
	p.mu.Unlock()
	p.Heal()
	p.cut()
}
