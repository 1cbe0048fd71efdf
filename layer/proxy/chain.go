// The chain engine of runner/middleware/chain.ts, split across the Runtime API calls it happens between on Lambda:
// `before` hooks when the runtime asks for the next event, `after` hooks when it posts a response, `error` hooks
// when it posts an error (or a hook raises, or the deadline is near). Middy's order, the same envelopes
// ({"$response"}, {"$error"}), and a broken middleware fails the invocation as Middleware.Failed with no error hook.
package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"time"
)

type answerKind int

const (
	answerNext answerKind = iota
	answerRespond
	answerRaise
)

// readAnswer reads a hook's JSON answer as hook-answer.ts does.
func readAnswer(mw *middleware, hook string, raw []byte) (answerKind, []byte, error) {
	var obj map[string]json.RawMessage
	if bytes.HasPrefix(bytes.TrimSpace(raw), []byte("{")) && json.Unmarshal(raw, &obj) == nil && len(obj) == 1 {
		if v, ok := obj["$response"]; ok {
			return answerRespond, v, nil
		}
		if v, ok := obj["$error"]; ok {
			e := asLambdaError(v)
			if e == nil {
				return 0, nil, &hookFailure{middleware: mw.name, hook: hook, what: `it printed {"$error": ...} without an object holding errorType and errorMessage`, stdout: string(raw)}
			}
			return answerRaise, e, nil
		}
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
	suffix := ""
	raw, err := mw.call(hook, input, ctx)
	var kind answerKind
	var value []byte
	if err == nil {
		kind, value, err = readAnswer(mw, hook, raw)
	}
	switch {
	case err != nil:
		suffix = " failed"
	case kind == answerRespond:
		suffix = " answered early"
	case kind == answerRaise:
		suffix = " raised " + errorTypeOf(value)
	}
	logLine(fmt.Sprintf("MIDDLEWARE %s %s %.2f ms%s", mw.name, hook, float64(time.Since(started).Microseconds())/1000, suffix))
	return kind, value, err
}

// runBefore runs the befores in order: the event for the function, or the invocation's outcome when a hook
// answered, raised or broke.
func runBefore(chain []*middleware, event []byte, ctx hookContext) ([]byte, *outcome) {
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
