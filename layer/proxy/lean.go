// The runtime's side of the proxy, lean: the Runtime API requests a runtime makes on every invoke (GET /next, POST
// /response and /error with a Content-Length) are read straight from the connection's buffer and answered on the
// same goroutine, one after another, pipelined requests included; their header lines go on to Lambda as they came.
// net/http's server costs a goroutine hand-off, a background read, a header map and a URL parse per request: most
// of the proxy's CPU per invoke. Anything else (a streamed response, an init error, no length, Expect, a malformed
// head) hands the connection to net/http (fallback.go) before a byte of it is consumed.
package main

import (
	"bufio"
	"bytes"
	"io"
	"net"
	"net/http"
	"strconv"
)

type leanKind int

const (
	leanNext leanKind = iota
	leanResponse
	leanError
)

type leanRequest struct {
	kind      leanKind
	path      string
	requestID string
	header    headerBlock
	length    int
}

// serveRuntime accepts the runtime's connections (the guarded listener has refused anyone else's).
func (p *proxy) serveRuntime(l net.Listener) {
	fallback := newHandoff(l.Addr())
	go func() { _ = http.Serve(fallback, p) }()
	for {
		c, err := l.Accept()
		if err != nil {
			fallback.Close()
			return
		}
		go p.serveConn(c, fallback)
	}
}

func (p *proxy) serveConn(c net.Conn, fallback *handoff) {
	r := bufio.NewReaderSize(c, maxHead)
	w := bufio.NewWriterSize(c, 64*1024)
	var body []byte
	// A GET /next sent upstream behind the last answer, whose event is still to be read.
	var pending *upstreamConn
	defer func() {
		if pending != nil {
			pending.conn.Close()
		}
	}()
	for {
		head, err := peekHead(r)
		if err != nil {
			if err == errHeadTooLarge && pending == nil {
				fallback.give(c, r)
				return
			}
			c.Close()
			return
		}
		req, ok := p.parseRuntimeRequest(head)
		if !ok || pending != nil && req.kind != leanNext {
			if pending != nil {
				// Not the GET /next that was pipelined: never happens with a runtime that pipelined it; start afresh.
				c.Close()
				return
			}
			fallback.give(c, r)
			return
		}
		_, _ = r.Discard(len(head))
		if cap(body) < req.length {
			body = make([]byte, req.length)
		}
		body = body[:req.length]
		if _, err := io.ReadFull(r, body); err != nil {
			c.Close()
			return
		}
		var then *pipelinedNext
		if req.kind != leanNext && p.ceAt < 0 {
			then = p.pipelinedNext(r)
		}
		var rep reply
		if req.kind == leanNext {
			rep = p.nextEvent(req.header, pending)
			pending = nil
		} else {
			rep = p.serveLean(req, body, then)
		}
		if then != nil {
			pending = then.conn
		}
		writeRawReply(w, rep)
		if err := w.Flush(); err != nil {
			c.Close()
			return
		}
	}
}

// pipelinedNext: when the runtime has already sent its GET /next behind this answer (the Node client pipelines
// them), the proxy sends it upstream behind the answer too. Only a complete, usual GET /next already in the buffer.
func (p *proxy) pipelinedNext(r *bufio.Reader) *pipelinedNext {
	if r.Buffered() == 0 {
		return nil
	}
	buf, _ := r.Peek(r.Buffered())
	end := bytes.Index(buf, []byte("\r\n\r\n"))
	if end < 0 {
		return nil
	}
	req, ok := p.parseRuntimeRequest(buf[:end+4])
	if !ok || req.kind != leanNext {
		return nil
	}
	return &pipelinedNext{header: req.header}
}

// parseRuntimeRequest: one of the three usual requests, or false for net/http.
func (p *proxy) parseRuntimeRequest(head []byte) (leanRequest, bool) {
	var req leanRequest
	if len(p.chain) == 0 && p.chainErr == nil {
		return req, false
	}
	line, rest := cutLine(head)
	sp1 := bytes.IndexByte(line, ' ')
	if sp1 < 0 || !bytes.HasSuffix(line, []byte(" HTTP/1.1")) {
		return req, false
	}
	method, target := line[:sp1], line[sp1+1:len(line)-len(" HTTP/1.1")]
	if !bytes.HasPrefix(target, []byte(apiPrefix)) || bytes.IndexAny(target, "?%# ") >= 0 {
		return req, false
	}
	fields, ok := scanHeaders(rest)
	if !ok || fields.chunkedOrOther || fields.close {
		return req, false
	}
	call := target[len(apiPrefix):]
	switch {
	case string(method) == http.MethodGet && string(call) == "next" && fields.contentLength <= 0:
		req.kind = leanNext
	case string(method) == http.MethodPost && bytes.HasSuffix(call, []byte("/response")) && fields.contentLength >= 0:
		if mode := fields.kept.get("lambda-runtime-function-response-mode"); mode != "" {
			return req, false
		}
		req.kind, req.requestID = leanResponse, string(call[:len(call)-len("/response")])
	case string(method) == http.MethodPost && bytes.HasSuffix(call, []byte("/error")) && fields.contentLength >= 0:
		req.kind, req.requestID = leanError, string(call[:len(call)-len("/error")])
	default:
		return req, false
	}
	req.path = string(target)
	req.header = fields.kept
	if fields.contentLength > 0 {
		req.length = fields.contentLength
	}
	return req, true
}

func (p *proxy) serveLean(req leanRequest, body []byte, then *pipelinedNext) reply {
	inv := p.take(req.requestID)
	if inv == nil {
		// Not an invocation of this proxy's (a late or unknown id): Lambda says what it says about it.
		return p.forward(http.MethodPost, req.path, req.header, body, then)
	}
	if req.kind == leanResponse {
		return p.answer(inv, req.header, body, then)
	}
	return p.functionError(inv, req.header, body, then)
}

func writeRawReply(w *bufio.Writer, rep reply) {
	w.WriteString("HTTP/1.1 ")
	w.Write(strconv.AppendInt(w.AvailableBuffer(), int64(rep.status), 10))
	w.WriteByte(' ')
	w.WriteString(http.StatusText(rep.status))
	w.WriteString("\r\n")
	w.Write(rep.header)
	w.WriteString("Content-Length: ")
	w.Write(strconv.AppendInt(w.AvailableBuffer(), int64(len(rep.body)), 10))
	w.WriteString("\r\n\r\n")
	w.Write(rep.body)
}
