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
	for {
		head, err := peekHead(r)
		if err != nil {
			if err == errHeadTooLarge {
				fallback.give(c, r)
				return
			}
			c.Close()
			return
		}
		req, ok := p.parseRuntimeRequest(head)
		if !ok {
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
		writeRawReply(w, p.serveLean(req, body))
		if err := w.Flush(); err != nil {
			c.Close()
			return
		}
	}
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

func (p *proxy) serveLean(req leanRequest, body []byte) reply {
	if req.kind == leanNext {
		return p.nextEvent(req.header)
	}
	inv := p.take(req.requestID)
	if inv == nil {
		// Not an invocation of this proxy's (a late or unknown id): Lambda says what it says about it.
		return p.forward(http.MethodPost, req.path, req.header, body)
	}
	if req.kind == leanResponse {
		return p.answer(inv, req.header, body)
	}
	return p.functionError(inv, req.header, body)
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
