// The hand-written JSON paths of jsonscan.go must read and write exactly what encoding/json does: each test holds
// them against encoding/json on the same input (run by test/integration/middleware-proxy.test.ts, or `go test`).
package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strconv"
	"testing"
)

var answerLines = []string{
	`{"id":1,"output":{"bench":true,"items":[1,2,3]}}`,
	`  {"id" : 12 , "output" : "text with } and { and \" and \\ inside" }  `,
	`{"output":null,"id":3}`,
	`{"id":4,"output":[{"a":"]"},[],{}],"extra":{"nested":[1,{"x":"y"}]}}`,
	`{"id":5,"output":1,"output":2,"id":6}`,
	`{"\u0069d":7,"output":true}`,
	`{"id":"8","output":-1.5e3}`,
	`{"id":-9,"output":false}`,
	`{"id":1e2,"output":0}`,
	`{"id":null,"output":"x"}`,
	`{"id":[1],"output":"x"}`,
	`{"output":{"only":"output"}}`,
	`{"id":10}`,
	`{}`,
	`null`,
	`[1,2]`,
	`"text"`,
	`42`,
	`{"id":11,"output":}`,
	`{"id":12,"output":{"a":1}`,
	`not json`,
	`{"id":13,"output":"caf\u00e9 \ud83d\ude00 é"}`,
	"{\"id\":14,\t\"output\":\n{\"a\" :\r[ 1 , 2 ]}}",
	`{"id":123456789012345678901,"output":1}`,
	`{"id":"abc","output":1}`,
	`{"a":{"id":15},"output":2}`,
}

// referenceServeAnswer is how the proxy read an answer line before jsonscan.go: encoding/json into a map.
func referenceServeAnswer(line []byte) (id, output []byte, what string) {
	var answer map[string]json.RawMessage
	if err := json.Unmarshal(line, &answer); err != nil || answer == nil {
		what = "it printed invalid JSON"
		if err != nil {
			what = fmt.Sprintf("it printed invalid JSON (%v)", err)
		}
		return nil, nil, what
	}
	return answer["id"], answer["output"], ""
}

func TestReadServeAnswerReadsAsEncodingJSON(t *testing.T) {
	for _, line := range answerLines {
		id, output, what := readServeAnswer([]byte(line))
		wantID, wantOutput, wantWhat := referenceServeAnswer([]byte(line))
		if !bytes.Equal(id, wantID) || !bytes.Equal(output, wantOutput) || what != wantWhat || (id == nil) != (wantID == nil) || (output == nil) != (wantOutput == nil) {
			t.Errorf("%s:\n got id %q output %q what %q\nwant id %q output %q what %q", line, id, output, what, wantID, wantOutput, wantWhat)
		}
	}
}

// referenceAnswerID is the id rule before jsonscan.go.
func referenceAnswerID(raw []byte, pending map[int]*pendingCall) (int, bool) {
	var number int
	var text string
	if raw != nil && json.Unmarshal(raw, &number) == nil {
		return number, true
	} else if raw != nil && json.Unmarshal(raw, &text) == nil {
		if n, err := strconv.Atoi(text); err == nil {
			return n, true
		}
	} else if raw == nil && len(pending) == 1 {
		for k := range pending {
			return k, true
		}
	}
	return -1, false
}

func TestAnswerIDAsEncodingJSON(t *testing.T) {
	for _, pending := range []map[int]*pendingCall{{}, {7: {}}, {7: {}, 8: {}}} {
		l := &longLived{pending: pending}
		for _, raw := range []string{"", "0", "1", "42", "123456789012345678", "1234567890123456789", "-3", "1.5", "1e2", `"17"`, `"x"`, "null", "true", "[1]", `{"a":1}`} {
			var in []byte
			if raw != "" {
				in = []byte(raw)
			}
			id, known := l.answerID(in)
			wantID, wantKnown := referenceAnswerID(in, pending)
			if id != wantID || known != wantKnown {
				t.Errorf("id %q with %d pending: got %d %v, want %d %v", raw, len(pending), id, known, wantID, wantKnown)
			}
		}
	}
}

// referenceEnvelope is the envelope test of readAnswer before jsonscan.go.
func referenceEnvelope(raw []byte) (string, []byte, bool) {
	var obj map[string]json.RawMessage
	if bytes.HasPrefix(bytes.TrimSpace(raw), []byte("{")) && json.Unmarshal(raw, &obj) == nil && len(obj) == 1 {
		if v, ok := obj["$response"]; ok {
			return "$response", v, true
		}
		if v, ok := obj["$error"]; ok {
			return "$error", v, true
		}
	}
	return "", nil, false
}

func TestEnvelopeAsEncodingJSON(t *testing.T) {
	for _, raw := range []string{
		`{"$response":{"statusCode":200}}`,
		` { "$response" : "text" } `,
		`{"$error":{"errorType":"E","errorMessage":"m"}}`,
		`{"$response":1,"$response":2}`,
		`{"$response":1,"other":2}`,
		`{"other":2,"$response":1}`,
		`{"$response":1,"$error":2}`,
		`{"\u0024response":3}`,
		`{"$responses":1}`,
		`{}`,
		`[{"$response":1}]`,
		`"{\"$response\":1}"`,
		`null`,
		`{"a":{"$response":1}}`,
	} {
		key, value, ok := envelope([]byte(raw))
		wantKey, wantValue, wantOK := referenceEnvelope([]byte(raw))
		if key != wantKey || !bytes.Equal(value, wantValue) || ok != wantOK {
			t.Errorf("%s: got %q %q %v, want %q %q %v", raw, key, value, ok, wantKey, wantValue, wantOK)
		}
	}
}

func TestServeRequestAsEncodingJSON(t *testing.T) {
	for _, ctx := range []hookContext{
		{requestID: "9bf0acb4-ee32-4d22-8876-a3e9f7c31dab", functionName: "Proxy3", deadlineMs: 1796266477702},
		{requestID: `a"b\c<d>&e`, functionName: "fn\u2028\u00e9\x01", deadlineMs: 0},
		{requestID: "bad utf-8 \xff\xfe", functionName: "", deadlineMs: -1},
	} {
		for _, hook := range hooks {
			input := []byte(`{"bench":true,"items":[1,2,3]}`)
			context, _ := json.Marshal(map[string]interface{}{"requestId": ctx.requestID, "functionName": ctx.functionName, "deadlineMs": ctx.deadlineMs})
			want := fmt.Sprintf(`{"id":%d,"hook":%q,"input":%s,"context":%s}`+"\n", 7, hook, input, context)
			if got := string(appendServeRequest(nil, 7, hook, input, ctx)); got != want {
				t.Errorf("got  %s\nwant %s", got, want)
			}
		}
	}
}

// FuzzReadServeAnswer: `go test -fuzz FuzzReadServeAnswer` looks for a line read differently; plain `go test` runs
// the seeds.
func FuzzReadServeAnswer(f *testing.F) {
	for _, line := range answerLines {
		f.Add(line)
	}
	f.Fuzz(func(t *testing.T, line string) {
		id, output, what := readServeAnswer([]byte(line))
		wantID, wantOutput, wantWhat := referenceServeAnswer([]byte(line))
		if !bytes.Equal(id, wantID) || !bytes.Equal(output, wantOutput) || what != wantWhat {
			t.Errorf("%q: got %q %q %q, want %q %q %q", line, id, output, what, wantID, wantOutput, wantWhat)
		}
		key, value, ok := envelope([]byte(line))
		if json.Valid([]byte(line)) {
			wantKey, wantValue, wantOK := referenceEnvelope([]byte(line))
			if key != wantKey || !bytes.Equal(value, wantValue) || ok != wantOK {
				t.Errorf("envelope %q: got %q %q %v, want %q %q %v", line, key, value, ok, wantKey, wantValue, wantOK)
			}
		}
	})
}
