// The small JSON the chain reads and writes on every hook call (a long-lived middleware's request line and answer,
// the envelope test of an answer), without encoding/json's reflection: decoding an answer into a map and encoding
// the call's context was a third of the proxy's CPU per hook. Each reader here is a fast path that gives up (false)
// on anything unusual (an escaped key, a value that is not an object), and its caller then asks encoding/json, so
// what a middleware sees and what the proxy accepts stay exactly encoding/json's.
package main

import (
	"encoding/json"
	"unicode/utf8"
)

func isSpace(c byte) bool { return c == ' ' || c == '\t' || c == '\n' || c == '\r' }

func skipSpace(b []byte, i int) int {
	for i < len(b) && isSpace(b[i]) {
		i++
	}
	return i
}

// skipValue returns the end of the JSON value starting at b[i]. b must be valid JSON (json.Valid); on anything
// else it still stops within b, at a meaningless place.
func skipValue(b []byte, i int) int {
	depth := 0
	for i < len(b) {
		switch c := b[i]; c {
		case '"':
			for i++; i < len(b) && b[i] != '"'; i++ {
				if b[i] == '\\' {
					i++
				}
			}
			i++
		case '{', '[':
			depth++
			i++
		case '}', ']':
			depth--
			i++
		default:
			if isSpace(c) || c == ',' || c == ':' {
				if depth <= 0 {
					return i
				}
				i++
				continue
			}
			// A number, true, false or null: up to the next delimiter.
			for i < len(b) && !isSpace(b[i]) && b[i] != ',' && b[i] != '}' && b[i] != ']' {
				i++
			}
		}
		if depth <= 0 {
			break
		}
	}
	if i > len(b) {
		return len(b)
	}
	return i
}

// objectMembers calls visit with each member of the object b (valid JSON) in order, duplicates included, and
// returns true; false when b is not an object or a key holds an escape (the caller then uses encoding/json), or
// when b turns out not to be valid JSON.
func objectMembers(b []byte, visit func(key, value []byte)) bool {
	i := skipSpace(b, 0)
	if i >= len(b) || b[i] != '{' {
		return false
	}
	i = skipSpace(b, i+1)
	if i < len(b) && b[i] == '}' {
		return true
	}
	for i < len(b) && b[i] == '"' {
		start := i + 1
		end := start
		for end < len(b) && b[end] != '"' {
			if b[end] == '\\' {
				return false
			}
			end++
		}
		i = skipSpace(b, end+1)
		if i >= len(b) || b[i] != ':' {
			return false
		}
		i = skipSpace(b, i+1)
		valueEnd := skipValue(b, i)
		if valueEnd == i {
			return false
		}
		visit(b[start:end], b[i:valueEnd])
		i = skipSpace(b, valueEnd)
		if i >= len(b) {
			return false
		}
		if b[i] == '}' {
			return true
		}
		if b[i] != ',' {
			return false
		}
		i = skipSpace(b, i+1)
	}
	return false
}

// appendJSONString appends s as encoding/json writes a string (HTML characters escaped, invalid UTF-8 replaced).
func appendJSONString(dst []byte, s string) []byte {
	for i := 0; i < len(s); i++ {
		if c := s[i]; c < 0x20 || c == '"' || c == '\\' || c == '<' || c == '>' || c == '&' || c >= utf8.RuneSelf {
			quoted, _ := json.Marshal(s)
			return append(dst, quoted...)
		}
	}
	dst = append(dst, '"')
	dst = append(dst, s...)
	return append(dst, '"')
}
