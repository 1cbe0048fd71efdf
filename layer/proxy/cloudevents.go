// The built-in `cloudevents` middleware in the layer, as runner/middleware/cloudevents.ts runs it under the runner
// (with the `cloudevents` SDK): whatever AWS event arrives, the function receives CloudEvents 1.0 in structured JSON
// mode, one invocation per record for batch sources, and its results are mapped back to what the source expects
// (batchItemFailures for SQS, Kinesis and DynamoDB Streams, an HTTP response for HTTP sources, the result otherwise).
// Attributes come out in the SDK's order; the SDK's defaults are kept (a random v4 id, the time now).
// An HTTP request that already is a CloudEvent is read as the SDK's HTTP.toEvent reads it (ce_http.go).
package main

import (
	"bytes"
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"regexp"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"
)

// jsValue: a JSON value, navigated as JavaScript's optional chaining does (nil = undefined).
type jsValue = json.RawMessage

func field(v jsValue, keys ...string) jsValue {
	for _, k := range keys {
		var obj map[string]json.RawMessage
		if len(v) == 0 || v[0] != '{' || json.Unmarshal(v, &obj) != nil {
			return nil
		}
		v = obj[k]
	}
	return v
}

func isNullish(v jsValue) bool { return len(v) == 0 || string(v) == "null" }

// coalesce: a ?? b.
func coalesce(vs ...jsValue) jsValue {
	for _, v := range vs {
		if !isNullish(v) {
			return v
		}
	}
	return nil
}

func isString(v jsValue) bool { return len(v) > 0 && v[0] == '"' }

func asString(v jsValue) (string, bool) {
	var s string
	if !isString(v) || json.Unmarshal(v, &s) != nil {
		return "", false
	}
	return s, true
}

// jsString: String(v) / `${v}` for the values an AWS event holds.
func jsString(v jsValue) string {
	if len(v) == 0 {
		return "undefined"
	}
	if s, ok := asString(v); ok {
		return s
	}
	switch v[0] {
	case '{':
		return "[object Object]"
	case '[':
		var items []json.RawMessage
		_ = json.Unmarshal(v, &items)
		parts := make([]string, len(items))
		for i, item := range items {
			if !isNullish(item) {
				parts[i] = jsString(item)
			}
		}
		return strings.Join(parts, ",")
	}
	if n, err := strconv.ParseFloat(string(v), 64); err == nil {
		return jsNumber(n)
	}
	return string(v)
}

func jsNumber(n float64) string {
	if n == math.Trunc(n) && math.Abs(n) < 1e21 {
		return strconv.FormatFloat(n, 'f', -1, 64)
	}
	return strconv.FormatFloat(n, 'g', -1, 64)
}

func jsonString(s string) jsValue {
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	_ = enc.Encode(s)
	return bytes.TrimRight(b.Bytes(), "\n")
}

// compactJSON: JSON.stringify(JSON.parse(v)) for a value JSON.stringify wrote (key order kept).
func compactJSON(v jsValue) jsValue {
	var b bytes.Buffer
	if json.Compact(&b, v) != nil {
		return v
	}
	return b.Bytes()
}

// jsonOrText: JSON.parse(text) when it parses, the text itself otherwise.
func jsonOrText(text string) (jsValue, string) {
	t := strings.TrimSpace(text)
	if t != "" && json.Valid([]byte(t)) {
		return compactJSON(jsValue(t)), "application/json"
	}
	return jsonString(text), "text/plain"
}

// epochToIso: new Date(n [* 1000]).toISOString() for a number or numeric string, nil otherwise.
func epochToIso(v jsValue, unit string) jsValue {
	var n float64
	if s, ok := asString(v); ok {
		s = strings.TrimSpace(s)
		if s == "" {
			n = 0
		} else if f, err := strconv.ParseFloat(s, 64); err == nil {
			n = f
		} else {
			return nil
		}
	} else if len(v) > 0 && (v[0] == '-' || v[0] >= '0' && v[0] <= '9') {
		f, err := strconv.ParseFloat(string(v), 64)
		if err != nil {
			return nil
		}
		n = f
	} else {
		return nil
	}
	if unit == "s" {
		n *= 1000
	}
	return jsonString(isoTime(time.UnixMilli(int64(math.Floor(n)))))
}

func isoTime(t time.Time) string { return t.UTC().Format("2006-01-02T15:04:05.000Z") }

// attr is one attribute handed to the CloudEvent constructor, in the order the runner's code names them.
type attr struct {
	key   string
	value jsValue
}

// the CloudEvent constructor's own attributes, in the order it sets them (its toJSON keeps that order).
var knownAttributes = []string{"id", "time", "type", "source", "specversion", "datacontenttype", "subject", "datacontentencoding", "dataschema", "data_base64", "schemaurl", "data"}

var extensionName = regexp.MustCompile(`^[a-z0-9]+$`)

// makeCloudEvent: new CloudEvent({...attributes without undefined, null and ""}).toJSON(), as JSON.
func makeCloudEvent(attrs []attr) (jsValue, error) {
	values := map[string]jsValue{}
	order := []string{}
	for _, a := range attrs {
		if isNullish(a.value) || string(a.value) == `""` {
			continue
		}
		if _, seen := values[a.key]; !seen {
			order = append(order, a.key)
		}
		values[a.key] = a.value
	}
	if isNullish(values["id"]) {
		values["id"] = jsonString(uuid4())
	}
	if isNullish(values["time"]) {
		values["time"] = jsonString(isoTime(time.Now()))
	}
	if isNullish(values["specversion"]) {
		values["specversion"] = jsonString("1.0")
	}
	for _, required := range []string{"id", "type", "source"} {
		if s, ok := asString(values[required]); !ok || s == "" {
			return nil, fmt.Errorf("invalid payload: the CloudEvent's %s must be a non-empty string (got %s)", required, orUndefined(values[required]))
		}
	}
	t, _ := asString(values["time"])
	parsed, err := parseJsDate(t)
	if err != nil {
		return nil, errors.New("Invalid time value")
	}
	values["time"] = jsonString(isoTime(parsed))
	var out bytes.Buffer
	out.WriteByte('{')
	write := func(k string, v jsValue) {
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
		if k == "data" && !isNullish(values["data_base64"]) {
			continue
		}
		if v, ok := values[k]; ok {
			write(k, v)
		}
	}
	for _, k := range order {
		if known[k] {
			continue
		}
		if !extensionName.MatchString(k) {
			return nil, fmt.Errorf("invalid extension name: %s", k)
		}
		write(k, values[k])
	}
	out.WriteByte('}')
	return out.Bytes(), nil
}

func orUndefined(v jsValue) string {
	if len(v) == 0 {
		return "undefined"
	}
	return string(v)
}

// parseJsDate reads the date-time forms AWS events carry (ISO 8601 / RFC 3339, with or without fraction and zone).
func parseJsDate(s string) (time.Time, error) {
	for _, layout := range []string{time.RFC3339Nano, "2006-01-02T15:04:05.999999999", "2006-01-02T15:04:05.999999999Z0700", "2006-01-02"} {
		if t, err := time.Parse(layout, s); err == nil {
			return t, nil
		}
	}
	return time.Time{}, errors.New("invalid")
}

func uuid4() string {
	var b [16]byte
	_, _ = rand.Read(b[:])
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	h := fmt.Sprintf("%x", b[:])
	return h[0:8] + "-" + h[8:12] + "-" + h[12:16] + "-" + h[16:20] + "-" + h[20:32]
}

// ceSource: what sort of event arrived (sourceOf in cloudevents.ts).
func ceSource(event jsValue) string {
	first := field(event, "Records")
	var records []json.RawMessage
	var rec jsValue
	if len(first) > 0 && first[0] == '[' && json.Unmarshal(first, &records) == nil && len(records) > 0 {
		rec = records[0]
	}
	source, _ := asString(coalesce(field(rec, "eventSource"), field(rec, "EventSource")))
	switch source {
	case "aws:sqs":
		return "sqs"
	case "aws:sns":
		return "sns"
	case "aws:s3":
		return "s3"
	case "aws:kinesis":
		return "kinesis"
	case "aws:dynamodb":
		return "dynamodb"
	}
	var obj map[string]json.RawMessage
	_ = json.Unmarshal(event, &obj)
	if obj != nil && isString(obj["detail-type"]) && obj["detail"] != nil && isString(obj["source"]) {
		return "eventbridge"
	}
	rc := field(event, "requestContext")
	if truthy(field(rc, "elb")) {
		return "alb"
	}
	if truthy(rc) && (obj["httpMethod"] != nil || truthy(field(rc, "http"))) {
		return "http"
	}
	return "other"
}

func truthy(v jsValue) bool {
	switch string(v) {
	case "", "null", "false", "0", `""`:
		return false
	}
	return true
}

func recordsOf(event jsValue) []jsValue {
	var records []json.RawMessage
	_ = json.Unmarshal(field(event, "Records"), &records)
	out := make([]jsValue, len(records))
	for i, r := range records {
		out[i] = r
	}
	return out
}

// toCloudEvents: one CloudEvent per record of a batch source, or one for the whole event.
func toCloudEvents(event jsValue, functionName string) (string, []jsValue, error) {
	kind := ceSource(event)
	records := recordsOf(event)
	var events []jsValue
	each := func(make func(r jsValue) []attr) error {
		for _, r := range records {
			ce, err := makeCloudEvent(make(r))
			if err != nil {
				return err
			}
			events = append(events, ce)
		}
		return nil
	}
	data := func(text string) []attr {
		v, ct := jsonOrText(text)
		return []attr{{"data", v}, {"datacontenttype", jsonString(ct)}}
	}
	var err error
	switch kind {
	case "sqs":
		err = each(func(r jsValue) []attr {
			return append([]attr{{"id", field(r, "messageId")}, {"source", field(r, "eventSourceARN")}, {"type", jsonString("com.amazonaws.sqs.message")},
				{"time", epochToIso(field(r, "attributes", "SentTimestamp"), "ms")}, {"awsregion", field(r, "awsRegion")}}, data(textOf(field(r, "body")))...)
		})
	case "sns":
		err = each(func(r jsValue) []attr {
			sns := field(r, "Sns")
			typ := "Notification"
			if t := field(sns, "Type"); !isNullish(t) {
				typ = jsString(t)
			}
			return append([]attr{{"id", field(sns, "MessageId")}, {"source", field(sns, "TopicArn")}, {"type", jsonString("com.amazonaws.sns." + typ)},
				{"subject", field(sns, "Subject")}, {"time", field(sns, "Timestamp")}}, data(textOf(field(sns, "Message")))...)
		})
	case "s3":
		err = each(func(r jsValue) []attr {
			ids := []string{}
			for _, k := range []string{"x-amz-request-id", "x-amz-id-2"} {
				if v := field(r, "responseElements", k); truthy(v) {
					ids = append(ids, jsString(v))
				}
			}
			var id jsValue
			if len(ids) > 0 {
				id = jsonString(strings.Join(ids, "."))
			}
			return []attr{{"id", id}, {"source", jsonString(jsString(field(r, "eventSource")) + "." + jsString(field(r, "awsRegion")) + "." + jsString(field(r, "s3", "bucket", "name")))},
				{"type", jsonString("com.amazonaws.s3." + jsString(field(r, "eventName")))}, {"subject", field(r, "s3", "object", "key")}, {"time", field(r, "eventTime")},
				{"datacontenttype", jsonString("application/json")}, {"data", compactJSON(r)}}
		})
	case "kinesis":
		err = each(func(r jsValue) []attr {
			raw := decodeBase64Lenient(textOf(field(r, "kinesis", "data")))
			payload := data(strings.ToValidUTF8(string(raw), "\uFFFD"))
			if string(payload[1].value) != `"application/json"` && !utf8.Valid(raw) {
				payload = []attr{{"data_base64", jsonString(base64.StdEncoding.EncodeToString(raw))}, {"datacontenttype", jsonString("application/octet-stream")}}
			}
			return append([]attr{{"id", field(r, "eventID")}, {"source", field(r, "eventSourceARN")}, {"type", jsonString("com.amazonaws.kinesis.record")},
				{"subject", field(r, "kinesis", "partitionKey")}, {"time", epochToIso(field(r, "kinesis", "approximateArrivalTimestamp"), "s")}, {"awsregion", field(r, "awsRegion")}}, payload...)
		})
	case "dynamodb":
		err = each(func(r jsValue) []attr {
			var subject jsValue
			if keys := field(r, "dynamodb", "Keys"); truthy(keys) {
				subject = jsonString(string(compactJSON(keys)))
			}
			return []attr{{"id", field(r, "eventID")}, {"source", field(r, "eventSourceARN")}, {"type", jsonString("com.amazonaws.dynamodb." + jsString(field(r, "eventName")))},
				{"subject", subject}, {"time", epochToIso(field(r, "dynamodb", "ApproximateCreationDateTime"), "s")}, {"awsregion", field(r, "awsRegion")},
				{"datacontenttype", jsonString("application/json")}, {"data", compactJSON(field(r, "dynamodb"))}}
		})
	case "eventbridge":
		var subject jsValue
		var resources []json.RawMessage
		if json.Unmarshal(field(event, "resources"), &resources) == nil && len(resources) > 0 {
			subject = resources[0]
		}
		var ce jsValue
		ce, err = makeCloudEvent([]attr{{"id", field(event, "id")}, {"source", field(event, "source")}, {"type", field(event, "detail-type")}, {"subject", subject},
			{"time", field(event, "time")}, {"awsregion", field(event, "region")}, {"datacontenttype", jsonString("application/json")}, {"data", compactJSON(field(event, "detail"))}})
		events = []jsValue{ce}
	case "http", "alb":
		events, err = httpCloudEvent(kind, event)
	default:
		var ce jsValue
		ce, err = makeCloudEvent([]attr{{"source", jsonString("urn:open-runtime:function:" + functionName)}, {"type", jsonString("com.amazonaws.lambda.invoke")},
			{"datacontenttype", jsonString("application/json")}, {"data", compactJSON(event)}})
		events = []jsValue{ce}
	}
	if err != nil {
		return kind, nil, err
	}
	return kind, events, nil
}

// textOf: String(v ?? "").
func textOf(v jsValue) string {
	if isNullish(v) {
		return ""
	}
	return jsString(v)
}

// decodeBase64Lenient decodes as Node's Buffer.from(s, 'base64') does: characters outside the alphabet are skipped.
func decodeBase64Lenient(s string) []byte {
	clean := make([]byte, 0, len(s))
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c >= 'A' && c <= 'Z', c >= 'a' && c <= 'z', c >= '0' && c <= '9', c == '+', c == '/':
			clean = append(clean, c)
		case c == '-':
			clean = append(clean, '+')
		case c == '_':
			clean = append(clean, '/')
		case c == '=':
			i = len(s)
		}
	}
	if len(clean)%4 == 1 {
		clean = clean[:len(clean)-1]
	}
	out, _ := base64.RawStdEncoding.DecodeString(string(clean))
	return out
}

func httpCloudEvent(kind string, event jsValue) ([]jsValue, error) {
	headers := map[string]string{}
	var raw map[string]json.RawMessage
	_ = json.Unmarshal(field(event, "headers"), &raw)
	for k, v := range raw {
		headers[strings.ToLower(k)] = jsString(v)
	}
	var body *string
	if b := field(event, "body"); !isNullish(b) {
		text := jsString(b)
		if truthy(field(event, "isBase64Encoded")) {
			text = strings.ToValidUTF8(string(decodeBase64Lenient(text)), "\uFFFD")
		}
		body = &text
	}
	contentType := headers["content-type"]
	if body != nil {
		// A request that already is a CloudEvent (binary or structured HTTP mode, or a batch) is read as one.
		if events, isEvent, err := httpToCloudEvents(headers, *body); isEvent {
			return events, err
		}
	}
	rc := field(event, "requestContext")
	method := coalesce(field(event, "httpMethod"), field(rc, "http", "method"))
	path := jsString(coalesce(field(event, "rawPath"), field(event, "path"), field(rc, "http", "path"), jsonString("/")))
	host := jsString(coalesce(field(rc, "domainName"), jsonStringOrNil(headers, "host"), jsonString("localhost")))
	typ := "com.amazonaws.apigateway.request"
	if kind == "alb" {
		typ = "com.amazonaws.elasticloadbalancing.request"
	} else if strings.Contains(host, ".lambda-url.") {
		typ = "com.amazonaws.lambda.url.request"
	}
	attrs := []attr{{"id", field(rc, "requestId")}, {"source", jsonString("https://" + host + path)}, {"type", jsonString(typ)},
		{"time", epochToIso(coalesce(field(rc, "timeEpoch"), field(rc, "requestTimeEpoch")), "ms")}, {"httpmethod", method}}
	if body != nil {
		if regexp.MustCompile(`(?i)json`).MatchString(contentType) {
			v, ct := jsonOrText(*body)
			attrs = append(attrs, attr{"data", v}, attr{"datacontenttype", jsonString(ct)})
		} else {
			ct := contentType
			if ct == "" {
				ct = "text/plain"
			}
			attrs = append(attrs, attr{"data", jsonString(*body)}, attr{"datacontenttype", jsonString(ct)})
		}
	}
	ce, err := makeCloudEvent(attrs)
	return []jsValue{ce}, err
}

func jsonStringOrNil(m map[string]string, k string) jsValue {
	if v, ok := m[k]; ok {
		return jsonString(v)
	}
	return nil
}

// toHTTPResponse: the function's answer to an HTTP request (toHttpResponse in cloudevents.ts): a CloudEvent goes
// back in binary HTTP mode, an HTTP response as it is, anything else as a JSON body.
func toHTTPResponse(result jsValue) (jsValue, error) {
	var obj map[string]json.RawMessage
	isObject := len(result) > 0 && result[0] == '{' && json.Unmarshal(result, &obj) == nil
	if isObject && isString(obj["specversion"]) && isString(obj["type"]) && isString(obj["source"]) {
		// new CloudEvent(result) then HTTP.binary: the event's attributes in ce-* headers, its data as the body.
		order := orderedKeys(result)
		attrs := make([]attr, 0, len(order))
		for _, k := range order {
			attrs = append(attrs, attr{k, obj[k]})
		}
		ce, err := makeCloudEvent(attrs)
		if err != nil {
			return nil, err
		}
		var made map[string]json.RawMessage
		_ = json.Unmarshal(ce, &made)
		headers := [][2]string{{"content-type", "application/json; charset=utf-8"}}
		set := func(k, v string) {
			for i := range headers {
				if headers[i][0] == k {
					headers[i][1] = v
					return
				}
			}
			headers = append(headers, [2]string{k, v})
		}
		for _, k := range orderedKeys(ce) {
			v := made[k]
			switch k {
			case "data", "data_base64":
				continue
			case "datacontenttype":
				set("content-type", jsString(v))
			default:
				set("ce-"+k, jsString(v))
			}
		}
		body := ""
		if d, ok := made["data"]; ok {
			if s, isStr := asString(d); isStr {
				body = s
			} else {
				body = string(compactJSON(d))
			}
		}
		var out bytes.Buffer
		out.WriteString(`{"statusCode":200,"headers":{`)
		for i, h := range headers {
			if i > 0 {
				out.WriteByte(',')
			}
			out.Write(jsonString(h[0]))
			out.WriteByte(':')
			out.Write(jsonString(h[1]))
		}
		out.WriteString(`},"body":`)
		out.Write(jsonString(body))
		out.WriteByte('}')
		return out.Bytes(), nil
	}
	if isObject && obj["statusCode"] != nil {
		return result, nil
	}
	text := "null"
	if !isNullish(result) {
		text = string(compactJSON(result))
	}
	return []byte(`{"statusCode":200,"headers":{"content-type":"application/json"},"body":` + string(jsonString(text)) + `}`), nil
}

// orderedKeys: an object's keys in their order in the text.
func orderedKeys(v jsValue) []string {
	dec := json.NewDecoder(bytes.NewReader(v))
	keys := []string{}
	if t, err := dec.Token(); err != nil || t != json.Delim('{') {
		return keys
	}
	for dec.More() {
		t, err := dec.Token()
		if err != nil {
			return keys
		}
		keys = append(keys, t.(string))
		var skip json.RawMessage
		if dec.Decode(&skip) != nil {
			return keys
		}
	}
	return keys
}
