// open-runtime-proxy: the Open Runtime layer's Runtime API proxy. It runs a function's executable middlewares on
// AWS Lambda itself, exactly as the local runner's chain does (runner/middleware/PROTOCOL.md), whatever the
// runtime: it starts the runtime's command as its child with AWS_LAMBDA_RUNTIME_API pointed at itself
// (127.0.0.1, a port the kernel picks), serves the Runtime API to it, and forwards to the real one.
//
//	open-runtime-proxy COMMAND [ARGS...]   (the layer's `open-runtime-wrapper` script: AWS_LAMBDA_EXEC_WRAPPER)
//
// Go, standard library only: one static binary per architecture, no runtime to install, a cold start of a few ms.
package main

import (
	"bytes"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"os/signal"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"
)

const apiPrefix = "/2018-06-01/runtime/invocation/"

var logMu sync.Mutex

// logLine writes one line to the function's log (Lambda sends the runtime's stderr to CloudWatch).
func logLine(line string) {
	logMu.Lock()
	defer logMu.Unlock()
	_, _ = os.Stderr.WriteString(line + "\n")
}

// invocation is one event between its /next and its answer.
type invocation struct {
	ctx      hookContext
	mu       sync.Mutex
	answered bool
	timer    *time.Timer
}

func (inv *invocation) isAnswered() bool {
	inv.mu.Lock()
	defer inv.mu.Unlock()
	return inv.answered
}

// claim: the first of the runtime's answer and the graceful timeout wins; the other is dropped.
func (inv *invocation) claim() bool {
	inv.mu.Lock()
	defer inv.mu.Unlock()
	if inv.answered {
		return false
	}
	inv.answered = true
	if inv.timer != nil {
		inv.timer.Stop()
	}
	return true
}

type proxy struct {
	upstream string
	client   *http.Client
	up       *upstreamClient
	chain    []*middleware
	chainErr error
	// Whether any middleware has a before / after hook: without one, events and responses pass untouched (no JSON work).
	hasBefore, hasAfter bool
	marginMs            int64
	functionName        string
	mu                  sync.Mutex
	invocations         map[string]*invocation
}

func main() {
	if os.Getenv("GOMAXPROCS") == "" {
		// The proxy only waits on sockets and pipes: one scheduler thread that sleeps in epoll wakes up sooner than
		// several handing goroutines to each other (measured: about 0.1 ms less per invoke).
		runtime.GOMAXPROCS(1)
	}
	if len(os.Args) < 2 {
		fmt.Fprintln(os.Stderr, "open-runtime-proxy: no runtime command to start. Set AWS_LAMBDA_EXEC_WRAPPER=/opt/open-runtime-wrapper on the function (managed runtimes), or start your bootstrap with: exec /opt/open-runtime-wrapper ./your-program")
		os.Exit(2)
	}
	upstream := os.Getenv("AWS_LAMBDA_RUNTIME_API")
	if upstream == "" {
		fmt.Fprintln(os.Stderr, "open-runtime-proxy: AWS_LAMBDA_RUNTIME_API is not set, so there is no Runtime API to serve the function from. It runs only inside a Lambda execution environment (or the Open Runtime runner).")
		os.Exit(2)
	}
	p := &proxy{
		upstream:     upstream,
		functionName: os.Getenv("AWS_LAMBDA_FUNCTION_NAME"),
		invocations:  map[string]*invocation{},
		up:           &upstreamClient{address: upstream},
		client: &http.Client{Transport: &http.Transport{
			Proxy: nil, MaxIdleConnsPerHost: 8, IdleConnTimeout: 0, DisableCompression: true,
			DialContext: (&net.Dialer{KeepAlive: 30 * time.Second}).DialContext,
		}},
	}
	names := chainNames()
	if len(names) == 0 {
		// No chain: the proxy gets out of the way and the runtime talks to Lambda itself (no per-invoke cost).
		execRuntime(os.Args[1], os.Args[2:])
	}
	if v, err := strconv.ParseInt(os.Getenv("OPEN_RUNTIME_TIMEOUT_MARGIN_MS"), 10, 64); err == nil && v > 0 {
		p.marginMs = v
	}
	for _, name := range names {
		mw, err := resolveMiddleware(name)
		if err != nil {
			// Every invocation fails with it (as the local runner does); the runtime still starts and init errors stay its own.
			p.chainErr = err
			logLine("MIDDLEWARE " + err.Error())
			break
		}
		p.chain = append(p.chain, mw)
	}
	p.hasBefore, p.hasAfter = hasHook(p.chain, "before"), hasHook(p.chain, "after")
	listener, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		fmt.Fprintf(os.Stderr, "open-runtime-proxy: could not listen on 127.0.0.1: %v\n", err)
		os.Exit(1)
	}
	go func() { _ = http.Serve(guardedListener{listener, listener.Addr().(*net.TCPAddr).Port}, p) }()
	os.Exit(runRuntime(os.Args[1], os.Args[2:], listener.Addr().String(), upstream))
}

// execRuntime replaces the proxy with the runtime, as a wrapper's `exec "$@"` does.
func execRuntime(command string, args []string) {
	path, err := exec.LookPath(command)
	if err == nil {
		err = syscall.Exec(path, append([]string{command}, args...), os.Environ())
	}
	fmt.Fprintf(os.Stderr, "open-runtime-proxy: could not start the runtime %s: %v\n", command, err)
	os.Exit(127)
}

// runRuntime starts the runtime pointed at the proxy, passes signals on, and exits as it exits.
func runRuntime(command string, args []string, address, upstream string) int {
	cmd := exec.Command(command, args...)
	env := []string{}
	for _, kv := range os.Environ() {
		if strings.HasPrefix(kv, "AWS_LAMBDA_RUNTIME_API=") || strings.HasPrefix(kv, "AWS_LAMBDA_EXEC_WRAPPER=") {
			continue
		}
		env = append(env, kv)
	}
	cmd.Env = append(env, "AWS_LAMBDA_RUNTIME_API="+address, "OPEN_RUNTIME_UPSTREAM_RUNTIME_API="+upstream)
	cmd.Stdin, cmd.Stdout, cmd.Stderr = os.Stdin, os.Stdout, os.Stderr
	signals := make(chan os.Signal, 4)
	signal.Notify(signals, syscall.SIGTERM, syscall.SIGINT, syscall.SIGHUP)
	if err := cmd.Start(); err != nil {
		fmt.Fprintf(os.Stderr, "open-runtime-proxy: could not start the runtime %s: %v\n", command, err)
		return 127
	}
	go func() {
		for s := range signals {
			_ = cmd.Process.Signal(s)
		}
	}()
	_ = cmd.Wait()
	if ws, ok := cmd.ProcessState.Sys().(syscall.WaitStatus); ok && ws.Signaled() {
		return 128 + int(ws.Signal())
	}
	return cmd.ProcessState.ExitCode()
}

func (p *proxy) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	path := r.URL.Path
	if !strings.HasPrefix(path, apiPrefix) || p.chainErr == nil && len(p.chain) == 0 {
		p.pass(w, r)
		return
	}
	rest := strings.TrimPrefix(path, apiPrefix)
	switch {
	case rest == "next" && r.Method == http.MethodGet:
		p.next(w, r)
	case strings.HasSuffix(rest, "/response") && r.Method == http.MethodPost:
		p.response(w, r, strings.TrimSuffix(rest, "/response"))
	case strings.HasSuffix(rest, "/error") && r.Method == http.MethodPost:
		p.functionError(w, r, strings.TrimSuffix(rest, "/error"))
	default:
		p.pass(w, r)
	}
}

var hopHeaders = map[string]bool{"Connection": true, "Keep-Alive": true, "Transfer-Encoding": true, "Content-Length": true, "Te": true, "Trailer": true, "Upgrade": true}

func copyHeaders(to, from http.Header) {
	for k, vs := range from {
		if hopHeaders[k] {
			continue
		}
		for _, v := range vs {
			to.Add(k, v)
		}
	}
}

// trailerCopier hands the runtime's trailers (a streamed response's mid-stream error) on when its body ends.
type trailerCopier struct {
	body io.ReadCloser
	from *http.Request
	to   *http.Request
}

func (t *trailerCopier) Read(b []byte) (int, error) {
	n, err := t.body.Read(b)
	if err == io.EOF {
		for k, vs := range t.from.Trailer {
			t.to.Trailer[k] = vs
		}
	}
	return n, err
}

func (t *trailerCopier) Close() error { return t.body.Close() }

// pass forwards a request as it is (init errors, streamed responses, anything the chain has no part in).
func (p *proxy) pass(w http.ResponseWriter, r *http.Request) {
	out, err := http.NewRequest(r.Method, "http://"+p.upstream+r.URL.RequestURI(), nil)
	if err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	copyHeaders(out.Header, r.Header)
	if r.Body != nil && r.Body != http.NoBody {
		out.ContentLength = r.ContentLength
		out.Body = r.Body
		if len(r.Trailer) > 0 {
			out.Trailer = http.Header{}
			for k := range r.Trailer {
				out.Trailer[k] = nil
			}
			out.Body = &trailerCopier{body: r.Body, from: r, to: out}
			out.ContentLength = -1
		}
	}
	res, err := p.client.Do(out)
	if err != nil {
		p.upstreamFailed(w, err)
		return
	}
	defer res.Body.Close()
	copyHeaders(w.Header(), res.Header)
	w.WriteHeader(res.StatusCode)
	_, _ = io.Copy(w, res.Body)
}

func (p *proxy) upstreamFailed(w http.ResponseWriter, err error) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(http.StatusBadGateway)
	fmt.Fprintf(w, `{"errorType":"Runtime.ProxyError","errorMessage":%q}`, "The Open Runtime layer could not reach the Lambda Runtime API: "+err.Error())
}

// post sends the invocation's answer to the real Runtime API.
func (p *proxy) post(requestID string, o outcome, headers http.Header) (*response, error) {
	kind := "response"
	if !o.ok {
		kind = "error"
	}
	req, _ := http.NewRequest(http.MethodPost, "http://"+p.upstream+apiPrefix+requestID+"/"+kind, nil)
	if headers != nil {
		copyHeaders(req.Header, headers)
	}
	if !o.ok {
		req.Header.Set("Lambda-Runtime-Function-Error-Type", errorTypeOf(o.body))
	}
	req.Header.Set("Content-Type", "application/json")
	return p.up.do(req, o.body)
}

func (p *proxy) postAndDrop(requestID string, o outcome) {
	if _, err := p.post(requestID, o, nil); err != nil {
		logLine("open-runtime-proxy: could not post the answer of " + requestID + ": " + err.Error())
	}
}

// next fetches events until one reaches the function: one a before hook answers is answered here.
func (p *proxy) next(w http.ResponseWriter, r *http.Request) {
	for {
		req, _ := http.NewRequest(http.MethodGet, "http://"+p.upstream+apiPrefix+"next", nil)
		copyHeaders(req.Header, r.Header)
		res, err := p.up.do(req, nil)
		if err != nil {
			p.upstreamFailed(w, err)
			return
		}
		event := res.Body
		requestID := res.Header.Get("Lambda-Runtime-Aws-Request-Id")
		if res.StatusCode != http.StatusOK || requestID == "" {
			copyHeaders(w.Header(), res.Header)
			w.WriteHeader(res.StatusCode)
			_, _ = w.Write(event)
			return
		}
		deadline, _ := strconv.ParseInt(res.Header.Get("Lambda-Runtime-Deadline-Ms"), 10, 64)
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
			handed, early = runBefore(p.chain, input, ctx)
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
		copyHeaders(w.Header(), res.Header)
		w.Header().Set("Content-Length", strconv.Itoa(len(handed)))
		w.WriteHeader(http.StatusOK)
		_, _ = w.Write(handed)
		return
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

// answered tells the runtime its answer was taken, as Lambda does (202), when the proxy has answered already.
func answered(w http.ResponseWriter) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(http.StatusAccepted)
	_, _ = w.Write([]byte(`{"status":"OK"}`))
}

func (p *proxy) relay(w http.ResponseWriter, requestID string, o outcome, headers http.Header) {
	res, err := p.post(requestID, o, headers)
	if err != nil {
		p.upstreamFailed(w, err)
		return
	}
	copyHeaders(w.Header(), res.Header)
	w.Header().Set("Content-Length", strconv.Itoa(len(res.Body)))
	w.WriteHeader(res.StatusCode)
	_, _ = w.Write(res.Body)
}

func (p *proxy) response(w http.ResponseWriter, r *http.Request, requestID string) {
	inv := p.take(requestID)
	if inv == nil {
		p.pass(w, r)
		return
	}
	if strings.EqualFold(r.Header.Get("Lambda-Runtime-Function-Response-Mode"), "streaming") {
		// A stream goes to the caller as the function writes it: nothing is left for after hooks to replace.
		if !inv.claim() {
			_, _ = io.Copy(io.Discard, r.Body)
			answered(w)
			return
		}
		p.forget(requestID)
		if p.hasAfter {
			logLine("MIDDLEWARE after hooks skipped: the response was streamed to the caller as the function wrote it")
		}
		p.pass(w, r)
		return
	}
	body, err := io.ReadAll(r.Body)
	if err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	if !inv.claim() {
		answered(w)
		return
	}
	p.forget(requestID)
	if !p.hasAfter {
		p.relay(w, requestID, outcome{ok: true, body: body}, r.Header)
		return
	}
	headers := r.Header.Clone()
	o := runAfter(p.chain, body, inv.ctx)
	if !bytes.Equal(o.body, body) {
		headers.Del("Content-Type")
	}
	p.relay(w, requestID, o, headers)
}

func (p *proxy) functionError(w http.ResponseWriter, r *http.Request, requestID string) {
	inv := p.take(requestID)
	if inv == nil {
		p.pass(w, r)
		return
	}
	body, err := io.ReadAll(r.Body)
	if err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	if !inv.claim() {
		answered(w)
		return
	}
	p.forget(requestID)
	errorType := r.Header.Get("Lambda-Runtime-Function-Error-Type")
	if errorType == "" || errorType == "unhandled" {
		errorType = "Runtime.Unknown"
	}
	headers := http.Header{}
	if cause := r.Header.Get("Lambda-Runtime-Function-Xray-Error-Cause"); cause != "" {
		headers.Set("Lambda-Runtime-Function-Xray-Error-Cause", cause)
	}
	p.relay(w, requestID, runError(p.chain, errorFromBody(body, errorType), inv.ctx), headers)
}
