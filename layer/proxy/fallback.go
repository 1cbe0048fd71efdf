// net/http serves what the lean server (lean.go) does not read itself: streamed (chunked) responses with their error
// trailers, init errors, request bodies without a length, Expect, anything malformed. A connection handed over stays
// with net/http for the rest of its life.
package main

import (
	"bufio"
	"io"
	"net"
	"net/http"
	"strconv"
	"strings"
	"sync"
)

// handoff is the listener net/http serves: the connections the lean server gives it, their unread bytes kept.
type handoff struct {
	addr  net.Addr
	conns chan net.Conn
	done  chan struct{}
	once  sync.Once
}

func newHandoff(addr net.Addr) *handoff {
	return &handoff{addr: addr, conns: make(chan net.Conn), done: make(chan struct{})}
}

func (h *handoff) give(c net.Conn, r *bufio.Reader) {
	select {
	case h.conns <- &bufferedConn{Conn: c, r: r}:
	case <-h.done:
		c.Close()
	}
}

func (h *handoff) Accept() (net.Conn, error) {
	select {
	case c := <-h.conns:
		return c, nil
	case <-h.done:
		return nil, net.ErrClosed
	}
}

func (h *handoff) Close() error {
	h.once.Do(func() { close(h.done) })
	return nil
}

func (h *handoff) Addr() net.Addr { return h.addr }

// bufferedConn reads what the lean server had buffered (and only peeked at) before the rest of the connection.
type bufferedConn struct {
	net.Conn
	r *bufio.Reader
}

func (c *bufferedConn) Read(b []byte) (int, error) { return c.r.Read(b) }

func (p *proxy) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	path := r.URL.Path
	if !strings.HasPrefix(path, apiPrefix) || p.chainErr == nil && len(p.chain) == 0 {
		p.pass(w, r)
		return
	}
	rest := strings.TrimPrefix(path, apiPrefix)
	switch {
	case rest == "next" && r.Method == http.MethodGet:
		writeReply(w, p.nextEvent(headerBlockOf(r.Header), nil))
	case strings.HasSuffix(rest, "/response") && r.Method == http.MethodPost:
		p.response(w, r, strings.TrimSuffix(rest, "/response"))
	case strings.HasSuffix(rest, "/error") && r.Method == http.MethodPost:
		inv := p.take(strings.TrimSuffix(rest, "/error"))
		if inv == nil {
			p.pass(w, r)
			return
		}
		body, err := io.ReadAll(r.Body)
		if err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		writeReply(w, p.functionError(inv, headerBlockOf(r.Header), body, nil))
	default:
		p.pass(w, r)
	}
}

func writeReply(w http.ResponseWriter, rep reply) {
	rep.header.addTo(w.Header())
	w.Header().Set("Content-Length", strconv.Itoa(len(rep.body)))
	w.WriteHeader(rep.status)
	_, _ = w.Write(rep.body)
}

func (p *proxy) response(w http.ResponseWriter, r *http.Request, requestID string) {
	inv := p.take(requestID)
	if inv == nil {
		p.pass(w, r)
		return
	}
	if strings.EqualFold(r.Header.Get("Lambda-Runtime-Function-Response-Mode"), "streaming") {
		// A stream goes to the caller as the function writes it: nothing is left for after hooks to replace.
		if !inv.claim() {
			_, _ = io.Copy(io.Discard, r.Body)
			writeReply(w, answeredReply)
			return
		}
		p.forget(requestID)
		if p.hasAfter {
			logLine("MIDDLEWARE after hooks skipped: the response was streamed to the caller as the function wrote it")
		}
		p.pass(w, r)
		return
	}
	body, err := io.ReadAll(r.Body)
	if err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	writeReply(w, p.answer(inv, headerBlockOf(r.Header), body, nil))
}

var hopHeaders = map[string]bool{"Connection": true, "Keep-Alive": true, "Transfer-Encoding": true, "Content-Length": true, "Te": true, "Trailer": true, "Upgrade": true}

func copyHeaders(to, from http.Header) {
	for k, vs := range from {
		if hopHeaders[k] {
			continue
		}
		for _, v := range vs {
			to.Add(k, v)
		}
	}
}

// trailerCopier hands the runtime's trailers (a streamed response's mid-stream error) on when its body ends.
type trailerCopier struct {
	body io.ReadCloser
	from *http.Request
	to   *http.Request
}

func (t *trailerCopier) Read(b []byte) (int, error) {
	n, err := t.body.Read(b)
	if err == io.EOF {
		for k, vs := range t.from.Trailer {
			t.to.Trailer[k] = vs
		}
	}
	return n, err
}

func (t *trailerCopier) Close() error { return t.body.Close() }

// pass forwards a request as it is, its body streamed (a streamed response, anything the chain has no part in).
func (p *proxy) pass(w http.ResponseWriter, r *http.Request) {
	out, err := http.NewRequest(r.Method, "http://"+p.upstream+r.URL.RequestURI(), nil)
	if err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	copyHeaders(out.Header, r.Header)
	if r.Body != nil && r.Body != http.NoBody {
		out.ContentLength = r.ContentLength
		out.Body = r.Body
		if len(r.Trailer) > 0 {
			out.Trailer = http.Header{}
			for k := range r.Trailer {
				out.Trailer[k] = nil
			}
			out.Body = &trailerCopier{body: r.Body, from: r, to: out}
			out.ContentLength = -1
		}
	}
	res, err := p.client.Do(out)
	if err != nil {
		writeReply(w, upstreamFailed(err))
		return
	}
	defer res.Body.Close()
	copyHeaders(w.Header(), res.Header)
	w.WriteHeader(res.StatusCode)
	_, _ = io.Copy(w, res.Body)
}
