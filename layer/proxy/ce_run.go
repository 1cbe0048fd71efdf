// A cloudevents invocation in the proxy: runChain's split at a wrapping built-in (runner/middleware/chain.ts), across
// Runtime API calls. The hooks before `cloudevents` run on the event Lambda sent; the event becomes CloudEvents
// (cloudevents.go); each goes through the hooks after `cloudevents` and the function, one at a time: the runtime
// gets it from /next with the invocation's own headers, and its /response or /error is answered 202 by the proxy
// while CloudEvents remain. The results are then mapped back (batchItemFailures, an HTTP response, the result) and
// go through the outer after / error hooks to Lambda, as one answer.
package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"
	"strconv"
)

type ceRun struct {
	kind     string
	records  []jsValue
	events   []jsValue
	i        int
	results  []jsValue
	failures []string
	header   headerBlock
	final    *outcome
}

type handout struct {
	header headerBlock
	event  []byte
}

func (p *proxy) outer() []*middleware {
	if p.ceAt < 0 {
		return p.chain
	}
	return p.chain[:p.ceAt]
}

func (p *proxy) inner() []*middleware { return p.chain[p.ceAt+1:] }

func (p *proxy) takeReady() (handout, bool) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if len(p.ready) == 0 {
		return handout{}, false
	}
	h := p.ready[0]
	p.ready = p.ready[1:]
	return h, true
}

// wrapperFailed: the Middleware.Failed of chain.ts when the wrapper itself throws.
func wrapperFailed(err error) outcome {
	b, _ := json.Marshal(map[string]string{
		"errorType":    "Middleware.Failed",
		"errorMessage": fmt.Sprintf(`Middleware "cloudevents" failed: %s. Check that the event is one it can convert, or remove it from the function's middlewares.`, err.Error()),
		"middleware":   "cloudevents",
	})
	return outcome{body: b, broken: true}
}

// startCloudEvents converts the event and returns the first CloudEvent for the function, or false when none is left
// for it (every record answered by a hook, or the conversion failed): the invocation is then answered already.
func (p *proxy) startCloudEvents(inv *invocation, header headerBlock, event []byte) ([]byte, bool) {
	run := &ceRun{header: header}
	inv.ce = run
	kind, events, err := toCloudEvents(responseValue(event), inv.ctx.functionName)
	run.kind, run.events, run.records = kind, events, recordsOf(responseValue(event))
	if err != nil {
		o := wrapperFailed(err)
		run.final = &o
	}
	next, ok := p.advance(inv)
	if !ok {
		p.finishCloudEvents(inv, nil)
	}
	return next, ok
}

// advance runs the inner befores over the CloudEvents left until one is for the function.
func (p *proxy) advance(inv *invocation) ([]byte, bool) {
	run := inv.ce
	for run.final == nil && run.i < len(run.events) {
		handed, early := runBefore(p.inner(), run.events[run.i], inv.ctx)
		if early == nil {
			return handed, true
		}
		if p.record(inv, *early) {
			break
		}
	}
	return nil, false
}

// record keeps the result of the current CloudEvent; true when no more are to run.
func (p *proxy) record(inv *invocation, o outcome) bool {
	run := inv.ce
	i, n := run.i, len(run.events)
	run.i++
	if o.broken {
		run.final = &o
		return true
	}
	batch := run.kind == "sqs" || run.kind == "kinesis" || run.kind == "dynamodb"
	if batch {
		if o.ok {
			return false
		}
		var id jsValue
		if i < len(run.records) {
			r := run.records[i]
			switch run.kind {
			case "sqs":
				id = field(r, "messageId")
			case "kinesis":
				id = field(r, "kinesis", "sequenceNumber")
			default:
				id = field(r, "dynamodb", "SequenceNumber")
			}
		}
		run.failures = append(run.failures, jsString(id))
		var e struct {
			ErrorType    string `json:"errorType"`
			ErrorMessage string `json:"errorMessage"`
		}
		_ = json.Unmarshal(o.body, &e)
		logLine(fmt.Sprintf("CLOUDEVENTS record %d/%d (%s) failed: %s: %s", i+1, n, jsString(id), e.ErrorType, e.ErrorMessage))
		return run.kind != "sqs"
	}
	if !o.ok {
		if n > 1 {
			var e map[string]json.RawMessage
			if json.Unmarshal(o.body, &e) == nil {
				var message string
				_ = json.Unmarshal(e["errorMessage"], &message)
				e["errorMessage"] = jsonString(fmt.Sprintf("Record %d of %d: %s", i+1, n, message))
				o.body, _ = json.Marshal(e)
			}
		}
		run.final = &o
		return true
	}
	run.results = append(run.results, responseValue(o.body))
	return false
}

// finishCloudEvents maps the results back, runs the outer after / error hooks and posts the answer. With a
// runtime's request to answer (header != nil), it gets Lambda's reply to the post.
func (p *proxy) finishCloudEvents(inv *invocation, header headerBlock) reply {
	run := inv.ce
	var o outcome
	switch {
	case run.final != nil:
		o = *run.final
	case run.kind == "sqs" || run.kind == "kinesis" || run.kind == "dynamodb":
		var b bytes.Buffer
		b.WriteString(`{"batchItemFailures":[`)
		for i, id := range run.failures {
			if i > 0 {
				b.WriteByte(',')
			}
			b.WriteString(`{"itemIdentifier":`)
			b.Write(jsonString(id))
			b.WriteByte('}')
		}
		b.WriteString("]}")
		logLine("CLOUDEVENTS " + run.kind + ": " + strconv.Itoa(len(run.events)) + " record(s) as CloudEvents, " + strconv.Itoa(len(run.failures)) + " reported in batchItemFailures")
		o = outcome{ok: true, body: b.Bytes()}
	case run.kind == "http" || run.kind == "alb":
		var first jsValue
		if len(run.results) > 0 {
			first = run.results[0]
		}
		value, err := toHTTPResponse(first)
		if err != nil {
			o = wrapperFailed(err)
		} else {
			o = outcome{ok: true, body: compactJSON(value)}
		}
	case len(run.results) == 1:
		o = outcome{ok: true, body: compactJSON(run.results[0])}
	default:
		var b bytes.Buffer
		b.WriteByte('[')
		for i, r := range run.results {
			if i > 0 {
				b.WriteByte(',')
			}
			b.Write(compactJSON(r))
		}
		b.WriteByte(']')
		o = outcome{ok: true, body: b.Bytes()}
	}
	switch {
	case o.broken:
	case o.ok:
		if hasHook(p.outer(), "after") {
			o = runAfter(p.outer(), o.body, inv.ctx)
		}
	default:
		o = runError(p.outer(), o.body, inv.ctx)
	}
	requestID := inv.ctx.requestID
	if !inv.claim() {
		return answeredReply
	}
	p.forget(requestID)
	if header == nil {
		p.postAndDrop(requestID, o)
		return answeredReply
	}
	return p.relay(requestID, o, header.without("content-type"), nil)
}

// cloudEventAnswered: the function answered one CloudEvent (a response, or an error when isError).
func (p *proxy) cloudEventAnswered(inv *invocation, header headerBlock, body []byte, isError bool) reply {
	if inv.isAnswered() {
		// The graceful timeout answered for the whole invocation already.
		return answeredReply
	}
	// The lean server reuses its body buffer: a result kept for later must be a copy.
	body = append([]byte{}, body...)
	var o outcome
	if isError {
		errorType := header.get("lambda-runtime-function-error-type")
		if errorType == "" || errorType == "unhandled" {
			errorType = "Runtime.Unknown"
		}
		o = runError(p.inner(), errorFromBody(body, errorType), inv.ctx)
	} else if hasHook(p.inner(), "after") {
		o = runAfter(p.inner(), body, inv.ctx)
	} else {
		o = outcome{ok: true, body: body}
	}
	if !p.record(inv, o) {
		if next, ok := p.advance(inv); ok {
			p.mu.Lock()
			p.ready = append(p.ready, handout{header: inv.ce.header, event: next})
			p.mu.Unlock()
			return reply{http.StatusAccepted, headerBlock("Content-Type: application/json\r\n"), []byte(`{"status":"OK"}`)}
		}
	}
	if isError {
		header = headerBlock{}
	}
	return p.finishCloudEvents(inv, header)
}
