// The CloudEvents HTTP binding, as the `cloudevents` SDK's HTTP.isEvent / HTTP.toEvent read a request (binary mode:
// ce-* headers; structured mode: application/cloudevents+json; batch: application/cloudevents-batch+json), for the
// built-in cloudevents middleware (cloudevents.go). What the SDK would not read as an event (it throws) is not one:
// the request is then mapped as a plain HTTP request, as under the runner.
package main

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"errors"
	"math"
	"regexp"
	"strings"
	"time"
)

// the SDK's parserByContentType entries that parse JSON.
var jsonContentTypes = map[string]bool{
	"application/json": true, "application/cloudevents+json": true,
	"application/json; charset=utf-8": true, "application/cloudevents+json; charset=utf-8": true,
}

// jsDateParser: the SDK's DateParser (an unreadable date becomes now).
func jsDateParser(s string) jsValue {
	t, err := parseJsDate(s)
	if err != nil {
		t = time.Now()
	}
	return jsonString(isoTime(t))
}

// sdkJSONParse: the SDK's JSONParser (a string not starting with [, |, { or " is quoted first).
func sdkJSONParse(body string) (jsValue, error) {
	if !regexp.MustCompile(`^[\[|{"]`).MatchString(body) {
		body = `"` + body + `"`
	}
	t := strings.TrimSpace(body)
	if !json.Valid([]byte(t)) {
		return nil, errors.New("invalid JSON")
	}
	return compactJSON(jsValue(t)), nil
}

// nonStrictCloudEvent: new CloudEvent(attributes, false).toJSON(): defaults, no validation.
func nonStrictCloudEvent(attrs []attr) jsValue {
	values := map[string]jsValue{}
	order := []string{}
	for _, a := range attrs {
		if _, seen := values[a.key]; !seen {
			order = append(order, a.key)
		}
		values[a.key] = a.value
	}
	if !truthy(values["id"]) {
		values["id"] = jsonString(uuid4())
	}
	if !truthy(values["time"]) {
		values["time"] = jsonString(isoTime(time.Now()))
	}
	if !truthy(values["specversion"]) {
		values["specversion"] = jsonString("1.0")
	}
	if t, ok := asString(values["time"]); ok {
		if parsed, err := parseJsDate(t); err == nil {
			values["time"] = jsonString(isoTime(parsed))
		}
	}
	var out bytes.Buffer
	out.WriteByte('{')
	write := func(k string, v jsValue) {
		if len(v) == 0 {
			return
		}
		if out.Len() > 1 {
			out.WriteByte(',')
		}
		out.Write(jsonString(k))
		out.WriteByte(':')
		out.Write(v)
	}
	known := map[string]bool{}
	for _, k := range knownAttributes {
		known[k] = true
		write(k, values[k])
	}
	for _, k := range order {
		if !known[k] {
			write(k, values[k])
		}
	}
	out.WriteByte('}')
	return out.Bytes()
}

// httpToCloudEvents: the request's CloudEvents when it is one (isEvent); err when it is one the layer does not read.
func httpToCloudEvents(headers map[string]string, body string) ([]jsValue, bool, error) {
	contentType := headers["content-type"]
	switch {
	case strings.HasPrefix(contentType, "application/cloudevents-batch"):
		var items []json.RawMessage
		if json.Unmarshal([]byte(body), &items) != nil {
			return nil, false, nil
		}
		events := []jsValue{}
		for _, item := range items {
			var obj map[string]json.RawMessage
			if json.Unmarshal(item, &obj) != nil || obj == nil {
				return nil, false, nil
			}
			attrs := []attr{}
			for _, k := range orderedKeys(item) {
				attrs = append(attrs, attr{k, obj[k]})
			}
			ce, err := makeCloudEvent(attrs)
			if err != nil {
				return nil, false, nil
			}
			events = append(events, ce)
		}
		return events, true, nil
	case strings.HasPrefix(contentType, "application/cloudevents"):
		var incoming map[string]json.RawMessage
		if json.Unmarshal([]byte(body), &incoming) != nil || !jsonContentTypes[contentType] || incoming == nil {
			return nil, false, nil
		}
		// Binary data: data_base64, or data with "datacontentencoding": "base64", is decoded (Buffer.from(data,
		// "base64")); the event then carries the bytes as data_base64 in canonical base64, and its
		// datacontentencoding is dropped (the SDK's parseStructured, then the CloudEvent constructor and toJSON).
		var decoded []byte
		binary := truthy(incoming["data_base64"]) || string(incoming["datacontentencoding"]) == `"base64"`
		if binary {
			// eventObj.data_base64 || eventObj.data, each set only when truthy.
			var source jsValue
			if truthy(incoming["data_base64"]) {
				source = incoming["data_base64"]
			} else if truthy(incoming["data"]) {
				source = incoming["data"]
			}
			data, isBuffer, err := nodeBufferFrom(source)
			if err != nil {
				return nil, true, err
			}
			if !isBuffer {
				// Buffer.from throws: the SDK does not read the request as a CloudEvent.
				return nil, false, nil
			}
			decoded = data
		}
		attrs := []attr{}
		structured := []string{"type", "specversion", "source", "id", "time", "dataschema", "datacontenttype", "subject", "data", "data_base64"}
		for _, k := range structured {
			if v := incoming[k]; truthy(v) && !(binary && (k == "data" || k == "data_base64")) {
				if s, ok := asString(v); ok && k == "time" {
					v = jsDateParser(s)
				}
				attrs = append(attrs, attr{k, v})
			}
		}
		if binary {
			attrs = append(attrs, attr{"data_base64", jsonString(base64.StdEncoding.EncodeToString(decoded))})
			if len(decoded) == 0 {
				// An empty data_base64 is falsy to toJSON, which then keeps data: an empty Uint32Array, {} in JSON.
				attrs = append(attrs, attr{"data", jsValue("{}")})
			}
		}
		isStructured := map[string]bool{}
		for _, k := range structured {
			isStructured[k] = true
		}
		for _, k := range orderedKeys(jsValue(body)) {
			if !isStructured[k] && !(binary && k == "datacontentencoding") {
				attrs = append(attrs, attr{k, incoming[k]})
			}
		}
		return []jsValue{nonStrictCloudEvent(attrs)}, true, nil
	case headers["ce-id"] != "":
		attrs := []attr{}
		taken := map[string]bool{}
		for _, h := range [][2]string{{"ce-type", "type"}, {"ce-specversion", "specversion"}, {"ce-source", "source"}, {"ce-id", "id"}, {"ce-time", "time"},
			{"ce-dataschema", "dataschema"}, {"ce-subject", "subject"}, {"datacontenttype", "datacontenttype"}, {"content-type", "datacontenttype"}} {
			if v := headers[h[0]]; v != "" {
				value := jsonString(v)
				if h[1] == "time" {
					value = jsDateParser(v)
				}
				attrs = append(attrs, attr{h[1], value})
				taken[h[0]] = true
			}
		}
		for _, k := range sortedHeaderNames(headers) {
			if strings.HasPrefix(k, "ce-") && !taken[k] {
				attrs = append(attrs, attr{k[3:], jsonString(headers[k])})
			}
		}
		data := jsonString(body)
		var datacontenttype string
		for _, a := range attrs {
			if a.key == "datacontenttype" {
				datacontenttype, _ = asString(a.value)
			}
		}
		if jsonContentTypes[datacontenttype] && body != "" {
			parsed, err := sdkJSONParse(body)
			if err != nil {
				return nil, false, nil
			}
			data = parsed
		}
		return []jsValue{nonStrictCloudEvent(append(attrs, attr{"data", data}))}, true, nil
	}
	return nil, false, nil
}

// nodeBufferFrom: the bytes of Node's Buffer.from(value, "base64") for a JSON value, false where it throws (not a
// string, an array or an array-like object), an error for the array forms the layer does not read.
func nodeBufferFrom(v jsValue) ([]byte, bool, error) {
	if s, ok := asString(v); ok {
		return nodeBase64(s), true, nil
	}
	var items []json.RawMessage
	if len(v) > 0 && v[0] == '[' && json.Unmarshal(v, &items) == nil {
		out := make([]byte, len(items))
		for i, item := range items {
			var n float64
			switch string(item) {
			case "null", "false":
			case "true":
				out[i] = 1
			default:
				if json.Unmarshal(item, &n) != nil {
					return nil, true, errors.New("a structured CloudEvent whose data_base64 is an array of anything but numbers is not read by the Open Runtime layer (the local runner reads it); send data_base64 as a base64 string")
				}
				// A Uint8Array element: NaN and infinities are 0, the rest truncated, modulo 256.
				if !math.IsInf(n, 0) && !math.IsNaN(n) {
					m := math.Mod(math.Trunc(n), 256)
					if m < 0 {
						m += 256
					}
					out[i] = byte(m)
				}
			}
		}
		return out, true, nil
	}
	if len(v) > 0 && v[0] == '{' && (field(v, "length") != nil || string(field(v, "type")) == `"Buffer"` && bytes.HasPrefix(field(v, "data"), []byte("["))) {
		return nil, true, errors.New("a structured CloudEvent whose data_base64 is an object is not read by the Open Runtime layer (the local runner reads some); send data_base64 as a base64 string")
	}
	return nil, false, nil
}

// nodeBase64 decodes as Buffer.from(s, "base64") does: both alphabets (+/ and -_), anything else skipped, the first
// "=" ends the data, a last lone character is dropped.
func nodeBase64(s string) []byte {
	out := make([]byte, 0, len(s)*3/4)
	var acc uint32
	n := 0
	for i := 0; i < len(s); i++ {
		c := s[i]
		var v byte
		switch {
		case c >= 'A' && c <= 'Z':
			v = c - 'A'
		case c >= 'a' && c <= 'z':
			v = c - 'a' + 26
		case c >= '0' && c <= '9':
			v = c - '0' + 52
		case c == '+' || c == '-':
			v = 62
		case c == '/' || c == '_':
			v = 63
		case c == '=':
			i = len(s)
			continue
		default:
			continue
		}
		acc = acc<<6 | uint32(v)
		n++
		if n == 4 {
			out = append(out, byte(acc>>16), byte(acc>>8), byte(acc))
			acc, n = 0, 0
		}
	}
	switch n {
	case 2:
		out = append(out, byte(acc>>4))
	case 3:
		out = append(out, byte(acc>>10), byte(acc>>2))
	}
	return out
}

// sortedHeaderNames: a stable order for the extension attributes (their order in the JSON carries no meaning).
func sortedHeaderNames(headers map[string]string) []string {
	names := make([]string, 0, len(headers))
	for k := range headers {
		names = append(names, k)
	}
	for i := 1; i < len(names); i++ {
		for j := i; j > 0 && names[j] < names[j-1]; j-- {
			names[j], names[j-1] = names[j-1], names[j]
		}
	}
	return names
}
