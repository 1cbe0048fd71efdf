// open-runtime-proxy: the Open Runtime layer's Runtime API proxy. It runs a function's executable middlewares on
// AWS Lambda itself, exactly as the local runner's chain does (runner/middleware/PROTOCOL.md), whatever the
// runtime: it starts the runtime's command as its child with AWS_LAMBDA_RUNTIME_API pointed at itself
// (127.0.0.1, a port the kernel picks), serves the Runtime API to it, and forwards to the real one.
//
//	open-runtime-wrapper COMMAND [ARGS...]   (the layer's root: what AWS_LAMBDA_EXEC_WRAPPER names)
//
// Go, standard library only: one static binary per architecture, no runtime to install, a cold start of a few ms.
package main

import (
	"fmt"
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

// heldLog: hook timing lines waiting for the end of their chain phase (or for the next line logged, which goes
// after them): one write to the function's log per phase instead of one per hook. (logMu)
var heldLog []byte

// logLine writes one line to the function's log (Lambda sends the runtime's stderr to CloudWatch).
func logLine(line string) {
	logMu.Lock()
	defer logMu.Unlock()
	heldLog = append(append(heldLog, line...), '\n')
	writeHeldLog()
}

// holdLogLine keeps a line for the next flushLog or logLine.
func holdLogLine(line []byte) {
	logMu.Lock()
	heldLog = append(append(heldLog, line...), '\n')
	logMu.Unlock()
}

// flushLog writes the held lines: the chain's runBefore / runAfter / runError do on their way out.
func flushLog() {
	logMu.Lock()
	defer logMu.Unlock()
	if len(heldLog) > 0 {
		writeHeldLog()
	}
}

func writeHeldLog() {
	_, _ = os.Stderr.Write(heldLog)
	heldLog = heldLog[:0]
	if cap(heldLog) > 64*1024 {
		heldLog = nil
	}
}

// invocation is one event between its /next and its answer.
type invocation struct {
	ctx      hookContext
	ce       *ceRun // the records of a cloudevents invocation, handed to the function one by one
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
	// cloudevents: its place in the chain (-1: not in it); the hooks before it run on the event Lambda sent, the
	// ones after it on each CloudEvent. ready: CloudEvents waiting for the runtime's next /next.
	ceAt  int
	ready []handout
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
	p.ceAt = -1
	for i, mw := range p.chain {
		if mw.builtin && p.ceAt >= 0 && p.chainErr == nil {
			p.chainErr = &chainError{"Middleware.Failed", `"cloudevents" is named twice in the chain: name it once.`}
		}
		if mw.builtin && p.ceAt < 0 {
			p.ceAt = i
		}
	}
	p.hasBefore, p.hasAfter = hasHook(p.outer(), "before"), hasHook(p.outer(), "after")
	listener, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		fmt.Fprintf(os.Stderr, "open-runtime-proxy: could not listen on 127.0.0.1: %v\n", err)
		os.Exit(1)
	}
	go p.serveRuntime(guardedListener{listener, listener.Addr().(*net.TCPAddr).Port})
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
