// The chain engine of runner/middleware/chain.ts, split across the Runtime API calls it happens between on Lambda:
// `before` hooks when the runtime asks for the next event, `after` hooks when it posts a response, `error` hooks
// when it posts an error (or a hook raises, or the deadline is near). Middy's order, the same envelopes
// ({"$response"}, {"$error"}), and a broken middleware fails the invocation as Middleware.Failed with no error hook.
package main

import (
	"bytes"
	"encoding/json"
	"strconv"
	"time"
)

type answerKind int

const (
	answerNext answerKind = iota
	answerRespond
	answerRaise
)

// readAnswer reads a hook's JSON answer (valid JSON) as hook-answer.ts does.
func readAnswer(mw *middleware, hook string, raw []byte) (answerKind, []byte, error) {
	if key, value, ok := envelope(raw); ok {
		if key == "$response" {
			return answerRespond, value, nil
		}
		e := asLambdaError(value)
		if e == nil {
			return 0, nil, &hookFailure{middleware: mw.name, hook: hook, what: `it printed {"$error": ...} without an object holding errorType and errorMessage`, stdout: string(raw)}
		}
		return answerRaise, e, nil
	}
	if hook == "error" {
		e := asLambdaError(raw)
		if e == nil {
			return 0, nil, &hookFailure{middleware: mw.name, hook: hook, what: `its error hook printed something that is neither an error object {"errorType", "errorMessage"} nor {"$response": ...}`, stdout: string(raw)}
		}
		return answerNext, e, nil
	}
	return answerNext, raw, nil
}

// envelope: whether raw (valid JSON) is an object whose only key is "$response" or "$error", and that key's value
// (the last one, as encoding/json keeps it).
func envelope(raw []byte) (key string, value []byte, ok bool) {
	var first []byte
	single := true
	if objectMembers(raw, func(k, v []byte) {
		if first == nil {
			first = k
		} else if !bytes.Equal(k, first) {
			single = false
		}
		value = v
	}) {
		switch {
		case !single || first == nil:
			return "", nil, false
		case string(first) == "$response":
			return "$response", value, true
		case string(first) == "$error":
			return "$error", value, true
		}
		return "", nil, false
	}
	var obj map[string]json.RawMessage
	if !bytes.HasPrefix(bytes.TrimSpace(raw), []byte("{")) || json.Unmarshal(raw, &obj) != nil || len(obj) != 1 {
		return "", nil, false
	}
	for _, k := range []string{"$response", "$error"} {
		if v, found := obj[k]; found {
			return k, v, true
		}
	}
	return "", nil, false
}

// asLambdaError: an object with errorType or errorMessage, the missing one filled in; nil for anything else.
func asLambdaError(raw []byte) []byte {
	var obj map[string]json.RawMessage
	if !bytes.HasPrefix(bytes.TrimSpace(raw), []byte("{")) || json.Unmarshal(raw, &obj) != nil {
		return nil
	}
	var errorType, errorMessage string
	typeOK := json.Unmarshal(obj["errorType"], &errorType) == nil && obj["errorType"] != nil && obj["errorType"][0] == '"'
	messageOK := json.Unmarshal(obj["errorMessage"], &errorMessage) == nil && obj["errorMessage"] != nil && obj["errorMessage"][0] == '"'
	if !typeOK && !messageOK {
		return nil
	}
	if !typeOK {
		obj["errorType"], _ = json.Marshal("Error")
	}
	if !messageOK {
		obj["errorMessage"], _ = json.Marshal("")
	}
	out, _ := json.Marshal(obj)
	return out
}

func errorTypeOf(lambdaError []byte) string {
	var e struct {
		ErrorType string `json:"errorType"`
	}
	_ = json.Unmarshal(lambdaError, &e)
	return e.ErrorType
}

// errorFromBody: the error hooks' input for a function error body (chain.ts errorFromBody).
func errorFromBody(body []byte, errorType string) []byte {
	if e := asLambdaError(body); e != nil {
		return e
	}
	out, _ := json.Marshal(map[string]string{"errorType": errorType, "errorMessage": string(body)})
	return out
}

// responseValue: a response as after hooks get it (text that is not JSON arrives as a JSON string, nothing as null).
func responseValue(body []byte) []byte {
	if len(bytes.TrimSpace(body)) == 0 {
		return []byte("null")
	}
	if json.Valid(body) {
		return body
	}
	out, _ := json.Marshal(string(body))
	return out
}

// outcome is what the invocation answers: a response, an error (after error hooks), or a broken chain.
type outcome struct {
	ok   bool
	body []byte
	// broken: the chain itself failed (Middleware.Failed ...): no error hook sees it, and it fails a whole
	// cloudevents batch rather than one record.
	broken bool
}

func failed(err error) outcome {
	if f, ok := err.(*hookFailure); ok {
		return outcome{body: f.lambdaError(), broken: true}
	}
	if c, ok := err.(*chainError); ok {
		b, _ := json.Marshal(map[string]string{"errorType": c.errorType, "errorMessage": c.message})
		return outcome{body: b, broken: true}
	}
	b, _ := json.Marshal(map[string]string{"errorType": "Middleware.Failed", "errorMessage": err.Error()})
	return outcome{body: b, broken: true}
}

func callHook(mw *middleware, hook string, input []byte, ctx hookContext) (answerKind, []byte, error) {
	started := time.Now()
	raw, err := mw.call(hook, input, ctx)
	var kind answerKind
	var value []byte
	if err == nil {
		kind, value, err = readAnswer(mw, hook, raw)
	}
	line := make([]byte, 0, 96)
	line = append(line, "MIDDLEWARE "...)
	line = append(line, mw.name...)
	line = append(line, ' ')
	line = append(line, hook...)
	line = append(line, ' ')
	line = strconv.AppendFloat(line, float64(time.Since(started).Microseconds())/1000, 'f', 2, 64)
	line = append(line, " ms"...)
	switch {
	case err != nil:
		line = append(line, " failed"...)
	case kind == answerRespond:
		line = append(line, " answered early"...)
	case kind == answerRaise:
		line = append(line, " raised "+errorTypeOf(value)...)
	}
	holdLogLine(line)
	return kind, value, err
}

// runBefore runs the befores in order: the event for the function, or the invocation's outcome when a hook
// answered, raised or broke.
func runBefore(chain []*middleware, event []byte, ctx hookContext) ([]byte, *outcome) {
	defer flushLog()
	for _, mw := range chain {
		if !mw.hooks["before"] {
			continue
		}
		kind, value, err := callHook(mw, "before", event, ctx)
		if err != nil {
			o := failed(err)
			return nil, &o
		}
		switch kind {
		case answerRespond:
			return nil, &outcome{ok: true, body: value}
		case answerRaise:
			o := runError(chain, value, ctx)
			return nil, &o
		}
		event = value
	}
	return event, nil
}

// runAfter runs the afters in reverse over the function's response.
func runAfter(chain []*middleware, body []byte, ctx hookContext) outcome {
	defer flushLog()
	response := responseValue(body)
	changed := false
	for i := len(chain) - 1; i >= 0; i-- {
		mw := chain[i]
		if !mw.hooks["after"] {
			continue
		}
		kind, value, err := callHook(mw, "after", response, ctx)
		if err != nil {
			return failed(err)
		}
		if kind == answerRaise {
			return runError(chain, value, ctx)
		}
		response, changed = value, true
		if kind == answerRespond {
			break
		}
	}
	if !changed {
		return outcome{ok: true, body: body}
	}
	return outcome{ok: true, body: response}
}

// runError runs every error hook in reverse; a {"$response"} recovers.
func runError(chain []*middleware, lambdaError []byte, ctx hookContext) outcome {
	defer flushLog()
	for i := len(chain) - 1; i >= 0; i-- {
		mw := chain[i]
		if !mw.hooks["error"] {
			continue
		}
		kind, value, err := callHook(mw, "error", lambdaError, ctx)
		if err != nil {
			return failed(err)
		}
		if kind == answerRespond {
			return outcome{ok: true, body: value}
		}
		lambdaError = value
	}
	return outcome{body: lambdaError}
}

func hasHook(chain []*middleware, hook string) bool {
	for _, mw := range chain {
		if mw.hooks[hook] {
			return true
		}
	}
	return false
}
