// Header blocks: HTTP/1.1 header lines as they travel ("Name: value\r\n" each), the hop-by-hop ones left out. The
// proxy reads a message's head from its connection buffer, keeps the lines it forwards as they are and looks up the
// few it needs (request id, deadline, length) by name: no map of canonical keys built and copied on every hop.
package main

import (
	"bufio"
	"bytes"
	"errors"
	"net/http"
	"strconv"
	"strings"
)

type headerBlock []byte

// maxHead bounds a message head read from a buffer (the connections' buffers are this size).
const maxHead = 64 * 1024

var errHeadTooLarge = errors.New("message head over 64 KiB")

// peekHead returns the head (through its blank line) at the front of r, without consuming it.
func peekHead(r *bufio.Reader) ([]byte, error) {
	want := 1
	searched := 0
	for {
		buf, err := r.Peek(want)
		if len(buf) > 0 {
			from := searched - 3
			if from < 0 {
				from = 0
			}
			if i := bytes.Index(buf[from:], []byte("\r\n\r\n")); i >= 0 {
				return buf[:from+i+4], nil
			}
			searched = len(buf)
		}
		if err != nil {
			if err == bufio.ErrBufferFull {
				return nil, errHeadTooLarge
			}
			return nil, err
		}
		if r.Buffered() > len(buf) {
			want = r.Buffered()
		} else {
			want = len(buf) + 1
		}
		if want > maxHead {
			return nil, errHeadTooLarge
		}
	}
}

// cutLine splits off the first line (without its CRLF).
func cutLine(b []byte) (line, rest []byte) {
	i := bytes.IndexByte(b, '\n')
	if i < 0 {
		return bytes.TrimRight(b, "\r"), nil
	}
	return bytes.TrimRight(b[:i], "\r"), b[i+1:]
}

// hop-by-hop headers, and the ones each hop writes itself (Host, Content-Length): never forwarded as they are.
func isHopHeader(name []byte) bool {
	switch len(name) {
	case 2:
		return asciiEqualFold(name, "te")
	case 4:
		return asciiEqualFold(name, "host")
	case 7:
		return asciiEqualFold(name, "trailer") || asciiEqualFold(name, "upgrade")
	case 10:
		return asciiEqualFold(name, "connection") || asciiEqualFold(name, "keep-alive")
	case 14:
		return asciiEqualFold(name, "content-length")
	case 17:
		return asciiEqualFold(name, "transfer-encoding")
	}
	return false
}

func asciiEqualFold(b []byte, lower string) bool {
	if len(b) != len(lower) {
		return false
	}
	for i := 0; i < len(b); i++ {
		c := b[i]
		if 'A' <= c && c <= 'Z' {
			c += 'a' - 'A'
		}
		if c != lower[i] {
			return false
		}
	}
	return true
}

// headFields: what the proxy needs from a head's header lines.
type headFields struct {
	kept           headerBlock // every line but the hop-by-hop ones, as they came
	contentLength  int         // -1 when absent
	chunkedOrOther bool        // a Transfer-Encoding, an Expect or an Upgrade: net/http's business
	close          bool        // Connection: close
}

// scanHeaders reads header lines up to the blank line; false when one is malformed or folded (net/http's business).
func scanHeaders(lines []byte) (headFields, bool) {
	f := headFields{contentLength: -1}
	for len(lines) > 0 {
		line, rest := cutLine(lines)
		lines = rest
		if len(line) == 0 {
			break
		}
		if line[0] == ' ' || line[0] == '\t' {
			return f, false
		}
		colon := bytes.IndexByte(line, ':')
		if colon <= 0 || bytes.IndexByte(line[:colon], ' ') >= 0 || bytes.IndexByte(line, '\r') >= 0 {
			return f, false
		}
		name, value := line[:colon], bytes.TrimSpace(line[colon+1:])
		switch {
		case asciiEqualFold(name, "content-length"):
			n, err := strconv.Atoi(string(value))
			if err != nil || n < 0 || f.contentLength >= 0 {
				return f, false
			}
			f.contentLength = n
		case asciiEqualFold(name, "transfer-encoding"), asciiEqualFold(name, "expect"), asciiEqualFold(name, "upgrade"), asciiEqualFold(name, "trailer"):
			f.chunkedOrOther = true
		case asciiEqualFold(name, "connection"):
			if bytes.Contains(bytes.ToLower(value), []byte("close")) {
				f.close = true
			}
		}
		if !isHopHeader(name) {
			f.kept = append(append(f.kept, line...), '\r', '\n')
		}
	}
	return f, true
}

// get: the value of the first line named name (given in lower case; matched case-insensitively), or "".
func (h headerBlock) get(name string) string {
	for b := []byte(h); len(b) > 0; {
		line, rest := cutLine(b)
		b = rest
		if colon := bytes.IndexByte(line, ':'); colon > 0 && asciiEqualFold(line[:colon], name) {
			return string(bytes.TrimSpace(line[colon+1:]))
		}
	}
	return ""
}

// without: the block minus the lines named any of names (lower case).
func (h headerBlock) without(names ...string) headerBlock {
	out := make(headerBlock, 0, len(h))
	for b := []byte(h); len(b) > 0; {
		line, rest := cutLine(b)
		b = rest
		colon := bytes.IndexByte(line, ':')
		drop := false
		for _, n := range names {
			if colon > 0 && asciiEqualFold(line[:colon], n) {
				drop = true
			}
		}
		if !drop {
			out = append(append(out, line...), '\r', '\n')
		}
	}
	return out
}

// with: the block plus one line (a value with a line break has it replaced by a space).
func (h headerBlock) with(name, value string) headerBlock {
	if strings.ContainsAny(value, "\r\n") {
		value = strings.NewReplacer("\r", " ", "\n", " ").Replace(value)
	}
	return h.appendLine(append(headerBlock{}, h...), name, value)
}

func (headerBlock) appendLine(out headerBlock, name, value string) headerBlock {
	if strings.ContainsAny(value, "\r\n") {
		value = strings.NewReplacer("\r", " ", "\n", " ").Replace(value)
	}
	return append(append(append(append(out, name...), ": "...), value...), '\r', '\n')
}

// headerBlockOf renders net/http's header map, hop-by-hop headers left out.
func headerBlockOf(h http.Header) headerBlock {
	var out headerBlock
	for k, vs := range h {
		if isHopHeader([]byte(k)) {
			continue
		}
		for _, v := range vs {
			out = out.appendLine(out, k, v)
		}
	}
	return out
}

// addTo adds the block's lines to net/http's header map.
func (h headerBlock) addTo(to http.Header) {
	for b := []byte(h); len(b) > 0; {
		line, rest := cutLine(b)
		b = rest
		if colon := bytes.IndexByte(line, ':'); colon > 0 {
			to.Add(string(line[:colon]), string(bytes.TrimSpace(line[colon+1:])))
		}
	}
}
