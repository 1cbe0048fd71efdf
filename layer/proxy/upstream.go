// The proxy's client of the real Runtime API: plain HTTP/1.1 on kept-alive connections, each request written and its
// response read on the calling goroutine (net/http's Transport hands every request to two more goroutines per
// connection: a cost on each hop of every invoke). Lambda's Runtime API is one local peer that keeps connections open.
// Headers travel as raw header blocks (headers.go): what the runtime sent is what Lambda gets, without a map between.
package main

import (
	"bufio"
	"bytes"
	"errors"
	"io"
	"net"
	"net/http"
	"strconv"
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
// header holds its header lines, hop-by-hop ones left out.
type response struct {
	StatusCode int
	header     headerBlock
	Body       []byte
}

// do sends a request whose body is in memory (or nil). A kept-alive connection the peer closed while it was idle
// fails before any answer: the request is then sent once more on a new one.
func (c *upstreamClient) do(method, path string, header headerBlock, body []byte) (*response, error) {
	return c.doThenNext(method, path, header, body, nil)
}

// doThenNext is do, with the runtime's next GET /next sent right behind the request when then is not nil (as the
// runtime pipelined them to the proxy: one write instead of two). Its answer is read later from then.conn, which
// stays out of the idle pool until then; then.conn is nil when the GET did not go (the peer closes the connection).
func (c *upstreamClient) doThenNext(method, path string, header headerBlock, body []byte, then *pipelinedNext) (*response, error) {
	for attempt := 0; ; attempt++ {
		uc, reused, err := c.get()
		if err != nil {
			return nil, err
		}
		res, answered, err := c.roundTrip(uc, method, path, header, body, then)
		if err == nil {
			return res, nil
		}
		uc.conn.Close()
		if answered || !reused || attempt > 0 {
			return nil, err
		}
	}
}

// pipelinedNext: a GET /next the proxy sent upstream behind an answer, and the connection its event arrives on.
type pipelinedNext struct {
	header headerBlock
	conn   *upstreamConn
}

func (c *upstreamClient) roundTrip(uc *upstreamConn, method, path string, header headerBlock, body []byte, then *pipelinedNext) (*response, bool, error) {
	writeRequest(uc.w, method, path, c.address, header, body)
	if then != nil {
		writeRequest(uc.w, http.MethodGet, apiPrefix+"next", c.address, then.header, nil)
	}
	if err := uc.w.Flush(); err != nil {
		return nil, false, err
	}
	res, keep, err := readResponse(uc.r, method)
	if err != nil {
		return nil, res != nil, err
	}
	switch {
	case !keep:
		uc.conn.Close()
	case then != nil:
		then.conn = uc
	default:
		c.put(uc)
	}
	return res, true, nil
}

// readNext reads the event of a pipelined GET /next and gives its connection back to the pool.
func (c *upstreamClient) readNext(uc *upstreamConn) (*response, error) {
	res, keep, err := readResponse(uc.r, http.MethodGet)
	if err != nil || !keep {
		uc.conn.Close()
		return res, err
	}
	c.put(uc)
	return res, nil
}

var errUnusual = errors.New("unusual message")

// readResponse reads one response. The Runtime API's usual answer (a status line, headers, a Content-Length body) is
// read from the connection's buffer as it is; anything else (chunked, no length, 1xx) goes through net/http's parser.
func readResponse(r *bufio.Reader, method string) (*response, bool, error) {
	head, err := peekHead(r)
	if err != nil {
		return nil, false, err
	}
	if res, length, keep, err := parseResponseHead(head); err == nil {
		_, _ = r.Discard(len(head))
		res.Body = make([]byte, length)
		if _, err := io.ReadFull(r, res.Body); err != nil {
			return res, false, err
		}
		return res, keep, nil
	}
	req := &http.Request{Method: method}
	hres, err := http.ReadResponse(r, req)
	if err != nil {
		return nil, false, err
	}
	data, err := io.ReadAll(hres.Body)
	hres.Body.Close()
	res := &response{StatusCode: hres.StatusCode, header: headerBlockOf(hres.Header), Body: data}
	if err != nil {
		return res, false, err
	}
	return res, !hres.Close, nil
}

// parseResponseHead: an HTTP/1.1 response head with a Content-Length and nothing unusual; errUnusual otherwise.
func parseResponseHead(head []byte) (*response, int, bool, error) {
	line, rest := cutLine(head)
	if !bytes.HasPrefix(line, []byte("HTTP/1.1 ")) || len(line) < 12 {
		return nil, 0, false, errUnusual
	}
	status, err := strconv.Atoi(string(line[9:12]))
	if err != nil || status < 200 {
		return nil, 0, false, errUnusual
	}
	fields, ok := scanHeaders(rest)
	if !ok || fields.chunkedOrOther || fields.contentLength < 0 {
		return nil, 0, false, errUnusual
	}
	return &response{StatusCode: status, header: fields.kept}, fields.contentLength, !fields.close, nil
}

// writeRequest writes an HTTP/1.1 request with its whole body (no fmt, no default headers: a tenth of the proxy's CPU
// per invoke went to Request.Write's general path).
func writeRequest(w *bufio.Writer, method, path, host string, header headerBlock, body []byte) {
	w.WriteString(method)
	w.WriteByte(' ')
	w.WriteString(path)
	w.WriteString(" HTTP/1.1\r\nHost: ")
	w.WriteString(host)
	w.WriteString("\r\n")
	w.Write(header)
	if body != nil || method != http.MethodGet {
		w.WriteString("Content-Length: ")
		w.Write(strconv.AppendInt(w.AvailableBuffer(), int64(len(body)), 10))
		w.WriteString("\r\n")
	}
	w.WriteString("\r\n")
	w.Write(body)
}
