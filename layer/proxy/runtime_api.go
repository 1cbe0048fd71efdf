// The proxy's three Runtime API calls, whichever server read them (lean.go for the usual requests, net/http in
// fallback.go for anything else): /next runs the before hooks, /response the after hooks, /error the error hooks;
// each answers with what the real Runtime API answered.
package main

import (
	"bytes"
	"fmt"
	"net/http"
	"strconv"
	"time"
)

// reply is what the runtime gets back for one request.
type reply struct {
	status int
	header headerBlock
	body   []byte
}

func upstreamReply(res *response) reply { return reply{res.StatusCode, res.header, res.Body} }

func upstreamFailed(err error) reply {
	body := fmt.Sprintf(`{"errorType":"Runtime.ProxyError","errorMessage":%q}`, "The Open Runtime layer could not reach the Lambda Runtime API: "+err.Error())
	return reply{http.StatusBadGateway, headerBlock("Content-Type: application/json\r\n"), []byte(body)}
}

// answeredReply tells the runtime its answer was taken, as Lambda does (202), when the proxy has answered already.
var answeredReply = reply{http.StatusAccepted, headerBlock("Content-Type: application/json\r\n"), []byte(`{"status":"OK"}`)}

// forward sends a request with its whole body as it is and answers with the real Runtime API's answer.
func (p *proxy) forward(method, path string, header headerBlock, body []byte, then *pipelinedNext) reply {
	res, err := p.up.doThenNext(method, path, header, body, then)
	if err != nil {
		return upstreamFailed(err)
	}
	return upstreamReply(res)
}

// post sends the invocation's answer to the real Runtime API.
func (p *proxy) post(requestID string, o outcome, header headerBlock, then *pipelinedNext) (*response, error) {
	kind := "/response"
	header = header.without("content-type", "lambda-runtime-function-error-type")
	if !o.ok {
		kind = "/error"
		header = header.with("Lambda-Runtime-Function-Error-Type", errorTypeOf(o.body))
	}
	header = append(header, "Content-Type: application/json\r\n"...)
	return p.up.doThenNext(http.MethodPost, apiPrefix+requestID+kind, header, o.body, then)
}

func (p *proxy) postAndDrop(requestID string, o outcome) {
	if _, err := p.post(requestID, o, nil, nil); err != nil {
		logLine("open-runtime-proxy: could not post the answer of " + requestID + ": " + err.Error())
	}
}

func (p *proxy) relay(requestID string, o outcome, header headerBlock, then *pipelinedNext) reply {
	res, err := p.post(requestID, o, header, then)
	if err != nil {
		return upstreamFailed(err)
	}
	return upstreamReply(res)
}

// nextEvent fetches events until one reaches the function: one a before hook answers is answered here. The first
// may have been asked for already (pre: a GET /next pipelined behind the runtime's answer).
func (p *proxy) nextEvent(header headerBlock, pre *upstreamConn) reply {
	if h, ok := p.takeReady(); ok {
		return reply{http.StatusOK, h.header, h.event}
	}
	for {
		var res *response
		var err error
		if pre != nil {
			res, err = p.up.readNext(pre)
			pre = nil
		} else {
			res, err = p.up.do(http.MethodGet, apiPrefix+"next", header, nil)
		}
		if err != nil {
			return upstreamFailed(err)
		}
		event := res.Body
		requestID := res.header.get("lambda-runtime-aws-request-id")
		if res.StatusCode != http.StatusOK || requestID == "" {
			return upstreamReply(res)
		}
		deadline, _ := strconv.ParseInt(res.header.get("lambda-runtime-deadline-ms"), 10, 64)
		ctx := hookContext{requestID: requestID, functionName: p.functionName, deadlineMs: deadline}
		if p.chainErr != nil {
			p.postAndDrop(requestID, failed(p.chainErr))
			continue
		}
		inv := &invocation{ctx: ctx}
		p.mu.Lock()
		p.invocations[requestID] = inv
		p.mu.Unlock()
		if p.marginMs > 0 && deadline > 0 {
			inv.timer = time.AfterFunc(time.Until(time.UnixMilli(deadline-p.marginMs)), func() { p.timedOut(inv) })
		}
		handed, early := event, (*outcome)(nil)
		if p.hasBefore {
			input := responseValue(event)
			handed, early = runBefore(p.outer(), input, ctx)
			if early == nil && bytes.Equal(handed, input) {
				// Nothing changed it: the function gets the event exactly as the caller sent it.
				handed = event
			}
		}
		if early != nil {
			if inv.claim() {
				p.forget(requestID)
				p.postAndDrop(requestID, *early)
			}
			continue
		}
		if inv.isAnswered() {
			// The graceful timeout answered while the befores ran: the function has nothing left to do for it.
			continue
		}
		if p.ceAt >= 0 {
			if first, ok := p.startCloudEvents(inv, res.header, handed); ok {
				return reply{http.StatusOK, res.header, first}
			}
			continue
		}
		return reply{http.StatusOK, res.header, handed}
	}
}

// timedOut: the graceful-timeout margin is reached and the function has not answered: the error hooks get a
// timeout error and the caller their answer, instead of Lambda's bare timeout.
func (p *proxy) timedOut(inv *invocation) {
	if !inv.claim() {
		return
	}
	p.forget(inv.ctx.requestID)
	left := inv.ctx.deadlineMs - time.Now().UnixMilli()
	message := fmt.Sprintf("RequestId: %s Error: Task is about to time out (%d ms before its deadline, OPEN_RUNTIME_TIMEOUT_MARGIN_MS=%d): the Open Runtime layer answered for the function. Raise the function's Timeout if the work needs longer.", inv.ctx.requestID, left, p.marginMs)
	body := []byte(fmt.Sprintf(`{"errorType":"Sandbox.Timedout","errorMessage":%q}`, message))
	logLine("MIDDLEWARE graceful timeout: the function had not answered " + strconv.FormatInt(p.marginMs, 10) + " ms before its deadline; running the error hooks")
	p.postAndDrop(inv.ctx.requestID, runError(p.chain, body, inv.ctx))
}

func (p *proxy) take(requestID string) *invocation {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.invocations[requestID]
}

func (p *proxy) forget(requestID string) {
	p.mu.Lock()
	delete(p.invocations, requestID)
	p.mu.Unlock()
}

// answer: the function's response (not streamed), through the after hooks.
func (p *proxy) answer(inv *invocation, header headerBlock, body []byte, then *pipelinedNext) reply {
	if inv.ce != nil {
		return p.cloudEventAnswered(inv, header, body, false)
	}
	if !inv.claim() {
		return answeredReply
	}
	requestID := inv.ctx.requestID
	p.forget(requestID)
	if !p.hasAfter {
		return p.relay(requestID, outcome{ok: true, body: body}, header, then)
	}
	o := runAfter(p.outer(), body, inv.ctx)
	if !bytes.Equal(o.body, body) {
		header = header.without("content-type")
	}
	return p.relay(requestID, o, header, then)
}

// functionError: the function's error, through the error hooks.
func (p *proxy) functionError(inv *invocation, header headerBlock, body []byte, then *pipelinedNext) reply {
	if inv.ce != nil {
		return p.cloudEventAnswered(inv, header, body, true)
	}
	if !inv.claim() {
		return answeredReply
	}
	requestID := inv.ctx.requestID
	p.forget(requestID)
	errorType := header.get("lambda-runtime-function-error-type")
	if errorType == "" || errorType == "unhandled" {
		errorType = "Runtime.Unknown"
	}
	var kept headerBlock
	if cause := header.get("lambda-runtime-function-xray-error-cause"); cause != "" {
		kept = kept.with("Lambda-Runtime-Function-Xray-Error-Cause", cause)
	}
	return p.relay(requestID, runError(p.outer(), errorFromBody(body, errorType), inv.ctx), kept, then)
}
