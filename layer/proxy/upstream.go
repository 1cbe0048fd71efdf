// The proxy's client of the real Runtime API: plain HTTP/1.1 on kept-alive connections, each request written and its
// response read on the calling goroutine (net/http's Transport hands every request to two more goroutines per
// connection: a cost on each hop of every invoke). Lambda's Runtime API is one local peer that keeps connections open.
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

type upstreamConn struct {
	conn net.Conn
	r    *bufio.Reader
	w    *bufio.Writer
}

type upstreamClient struct {
	address string
	mu      sync.Mutex
	idle    []*upstreamConn
}

func (c *upstreamClient) get() (*upstreamConn, bool, error) {
	c.mu.Lock()
	if n := len(c.idle); n > 0 {
		uc := c.idle[n-1]
		c.idle = c.idle[:n-1]
		c.mu.Unlock()
		return uc, true, nil
	}
	c.mu.Unlock()
	conn, err := net.Dial("tcp", c.address)
	if err != nil {
		return nil, false, err
	}
	return &upstreamConn{conn: conn, r: bufio.NewReaderSize(conn, 64*1024), w: bufio.NewWriterSize(conn, 64*1024)}, false, nil
}

func (c *upstreamClient) put(uc *upstreamConn) {
	c.mu.Lock()
	if len(c.idle) < 8 {
		c.idle = append(c.idle, uc)
		uc = nil
	}
	c.mu.Unlock()
	if uc != nil {
		uc.conn.Close()
	}
}

// response is an upstream answer, its body read in full (Runtime API bodies are bounded: 6 MB events and answers).
type response struct {
	StatusCode int
	Header     http.Header
	Body       []byte
}

// do sends a request whose body is in memory (or nil). A kept-alive connection the peer closed while it was idle
// fails before any answer: the request is then sent once more on a new one.
func (c *upstreamClient) do(req *http.Request, body []byte) (*response, error) {
	for attempt := 0; ; attempt++ {
		uc, reused, err := c.get()
		if err != nil {
			return nil, err
		}
		res, answered, err := c.roundTrip(uc, req, body)
		if err == nil {
			return res, nil
		}
		uc.conn.Close()
		if answered || !reused || attempt > 0 {
			return nil, err
		}
	}
}

func (c *upstreamClient) roundTrip(uc *upstreamConn, req *http.Request, body []byte) (*response, bool, error) {
	writeRequest(uc.w, req, c.address, body)
	if err := uc.w.Flush(); err != nil {
		return nil, false, err
	}
	res, err := http.ReadResponse(uc.r, req)
	if err != nil {
		return nil, false, err
	}
	data, err := io.ReadAll(res.Body)
	res.Body.Close()
	if err != nil {
		return nil, true, err
	}
	if res.Close {
		uc.conn.Close()
	} else {
		c.put(uc)
	}
	return &response{StatusCode: res.StatusCode, Header: res.Header, Body: data}, true, nil
}

// writeRequest writes an HTTP/1.1 request with its whole body, as Request.Write would, without its general path
// (fmt.Fprintf and default headers: a tenth of the proxy's CPU per invoke went there). Header values never carry a
// line break (net/http's parser refused them on the way in); one is replaced by a space all the same.
func writeRequest(w *bufio.Writer, req *http.Request, host string, body []byte) {
	w.WriteString(req.Method)
	w.WriteByte(' ')
	w.WriteString(req.URL.RequestURI())
	w.WriteString(" HTTP/1.1\r\nHost: ")
	w.WriteString(host)
	w.WriteString("\r\n")
	for k, vs := range req.Header {
		for _, v := range vs {
			w.WriteString(k)
			w.WriteString(": ")
			if strings.ContainsAny(v, "\r\n") {
				v = strings.NewReplacer("\r", " ", "\n", " ").Replace(v)
			}
			w.WriteString(v)
			w.WriteString("\r\n")
		}
	}
	if body != nil || req.Method != http.MethodGet {
		w.WriteString("Content-Length: ")
		w.Write(strconv.AppendInt(w.AvailableBuffer(), int64(len(body)), 10))
		w.WriteString("\r\n")
	}
	w.WriteString("\r\n")
	w.Write(body)
}
