// Executable middlewares on Lambda, as runner/middleware/resolve.ts and executable.ts run them on the laptop:
// the same lookup order ($LAMBDA_TASK_ROOT/middlewares, then /opt/middlewares), the same interpreters by file
// extension, the same optional manifest, one process per hook call or one long-lived `serve` process, and the
// same Middleware.Failed sentences for every way a middleware can break.
package main

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"
)

var hooks = []string{"before", "after", "error"}

type manifest struct {
	LongLived bool            `json:"longLived"`
	Hooks     []string        `json:"hooks"`
	TimeoutMs json.RawMessage `json:"timeoutMs"`
	Command   []string        `json:"command"`
}

// middleware is one resolved executable middleware.
type middleware struct {
	name     string
	path     string
	command  string
	args     []string
	hooks    map[string]bool
	timeouts map[string]time.Duration
	serve    *longLived
	builtin  bool
}

// hookFailure is the Middleware.Failed error of runner/middleware/hook-answer.ts, sentence for sentence.
type hookFailure struct {
	middleware, hook, what, stdout, stderr string
}

func (f *hookFailure) Error() string {
	stdout := clip(f.stdout, false)
	stderr := clip(f.stderr, true)
	shown := "It printed nothing on stdout."
	if stdout != "" {
		shown = "It printed: " + stdout
	}
	if stderr != "" {
		shown += " Its stderr: " + stderr
	}
	return fmt.Sprintf("Middleware %q failed in its %s hook: %s. %s Fix the middleware, or remove it from the function's middlewares.", f.middleware, f.hook, f.what, shown)
}

func (f *hookFailure) lambdaError() []byte {
	b, _ := json.Marshal(map[string]string{
		"errorType": "Middleware.Failed", "errorMessage": f.Error(), "middleware": f.middleware, "hook": f.hook,
		"stdout": clip(f.stdout, false), "stderr": clip(f.stderr, true),
	})
	return b
}

func clip(text string, keepEnd bool) string {
	t := strings.TrimSpace(text)
	if len(t) <= 1000 {
		return t
	}
	if keepEnd {
		return "..." + t[len(t)-1000:]
	}
	return t[:1000] + "..."
}

// chainError is a problem with the chain as declared (Middleware.NotFound, Middleware.InvalidManifest).
type chainError struct{ errorType, message string }

func (e *chainError) Error() string { return e.message }

var namePattern = regexp.MustCompile(`^[A-Za-z0-9_.-]+$`)
var candidateSuffixes = []string{"", ".sh", ".py", ".js", ".mjs", ".cjs", ".ts", ".wasm"}

// middlewareDirs: the function's own package first, then the layers at /opt (as resolve.ts, minus the template's
// folder, which does not exist on Lambda).
func middlewareDirs() []string {
	dirs := []string{}
	if root := os.Getenv("LAMBDA_TASK_ROOT"); root != "" {
		dirs = append(dirs, filepath.Join(root, "middlewares"))
	}
	return append(dirs, "/opt/middlewares")
}

// chainNames: OPEN_RUNTIME_MIDDLEWARES (what deploy sets), else the Serverless Open Runtime's SLSMIDDLEWARES.
func chainNames() []string {
	value := os.Getenv("OPEN_RUNTIME_MIDDLEWARES")
	if strings.TrimSpace(value) == "" {
		value = os.Getenv("SLSMIDDLEWARES")
	}
	names := []string{}
	for _, n := range strings.Split(value, ",") {
		if n = strings.TrimSpace(n); n != "" {
			names = append(names, n)
		}
	}
	return names
}

func interpreterFor(file string) string {
	switch {
	case strings.HasSuffix(file, ".sh"):
		return "bash"
	case strings.HasSuffix(file, ".py"):
		if p := os.Getenv("OPEN_RUNTIME_PYTHON"); p != "" {
			return p
		}
		return "python3"
	case strings.HasSuffix(file, ".js"), strings.HasSuffix(file, ".mjs"), strings.HasSuffix(file, ".cjs"), strings.HasSuffix(file, ".ts"):
		return "node"
	}
	return ""
}

func isFile(path string) bool {
	st, err := os.Stat(path)
	return err == nil && st.Mode().IsRegular()
}

func resolveMiddleware(name string) (*middleware, error) {
	if name == "cloudevents" {
		// Built in (cloudevents.go): it wraps the rest of the chain instead of having hooks.
		return &middleware{name: name, builtin: true, hooks: map[string]bool{}, timeouts: map[string]time.Duration{}}, nil
	}
	if !namePattern.MatchString(name) || name == "." || name == ".." {
		return nil, &chainError{"Middleware.NotFound", fmt.Sprintf(`Middleware name %q is not a file name: use letters, digits, "-", "_" and ".".`, name)}
	}
	dirs := middlewareDirs()
	for _, dir := range dirs {
		manifestPath := filepath.Join(dir, name+".json")
		var m *manifest
		if isFile(manifestPath) {
			read, err := readManifest(manifestPath)
			if err != nil {
				return nil, err
			}
			m = read
		}
		if m != nil && len(m.Command) > 0 {
			local := filepath.Join(dir, m.Command[0])
			args := []string{}
			for _, a := range m.Command[1:] {
				if _, err := os.Stat(filepath.Join(dir, a)); err == nil {
					a = filepath.Join(dir, a)
				}
				args = append(args, a)
			}
			if isFile(local) {
				if interp := interpreterFor(local); interp != "" {
					return newMiddleware(name, local, interp, append([]string{local}, args...), m)
				}
				return newMiddleware(name, local, local, args, m)
			}
			return newMiddleware(name, manifestPath, m.Command[0], args, m)
		}
		for _, suffix := range candidateSuffixes {
			path := filepath.Join(dir, name+suffix)
			if !isFile(path) {
				continue
			}
			if suffix == ".wasm" {
				return nil, &chainError{"Middleware.NotFound", fmt.Sprintf("Middleware %s is a component middleware: components do not run in the Open Runtime layer yet. Ship it as an executable, or run the function with the local runner.", path)}
			}
			if interp := interpreterFor(path); interp != "" {
				return newMiddleware(name, path, interp, []string{path}, m)
			}
			if syscall.Access(path, 1) != nil {
				return nil, &chainError{"Middleware.NotFound", fmt.Sprintf(`Middleware %s is not executable: run "chmod +x %s", or give it an extension (.sh, .py, .js, .mjs, .ts).`, path, path)}
			}
			return newMiddleware(name, path, path, nil, m)
		}
		if m != nil {
			return nil, &chainError{"Middleware.NotFound", fmt.Sprintf(`Middleware %q has a manifest %s but no program: add %s, %s.sh, %s.py, %s.js next to it, or a "command" in the manifest.`, name, manifestPath, name, name, name, name)}
		}
	}
	return nil, &chainError{"Middleware.NotFound", fmt.Sprintf(`Middleware %q was not found: looked for %s, %s.sh, .py, .js, .mjs, .ts in %s. Ship it in the function's package or a layer, or remove %q from OPEN_RUNTIME_MIDDLEWARES / SLSMIDDLEWARES.`, name, name, name, strings.Join(dirs, " and "), name)}
}

func readManifest(path string) (*manifest, error) {
	raw, err := os.ReadFile(path)
	if err != nil {
		return nil, &chainError{"Middleware.InvalidManifest", fmt.Sprintf("Middleware manifest %s could not be read: %v.", path, err)}
	}
	m := &manifest{}
	dec := json.NewDecoder(bytes.NewReader(raw))
	if err := dec.Decode(m); err != nil {
		return nil, &chainError{"Middleware.InvalidManifest", fmt.Sprintf("Middleware manifest %s is not valid JSON: %v. Fix it or remove it.", path, err)}
	}
	for _, h := range m.Hooks {
		if h != "before" && h != "after" && h != "error" {
			return nil, &chainError{"Middleware.InvalidManifest", fmt.Sprintf(`Middleware manifest %s is not valid: hooks: %q is not one of "before", "after", "error".`, path, h)}
		}
	}
	return m, nil
}

func newMiddleware(name, path, command string, args []string, m *manifest) (*middleware, error) {
	mw := &middleware{name: name, path: path, command: command, args: args, hooks: map[string]bool{}, timeouts: map[string]time.Duration{}}
	declared := hooks
	if m != nil && len(m.Hooks) > 0 {
		declared = m.Hooks
	}
	for _, h := range declared {
		mw.hooks[h] = true
	}
	fallback := 3000
	if v, err := strconv.Atoi(os.Getenv("OPEN_RUNTIME_MIDDLEWARE_TIMEOUT_MS")); err == nil && v > 0 {
		fallback = v
	}
	perHook := map[string]int{}
	if m != nil && len(m.TimeoutMs) > 0 {
		var one int
		if json.Unmarshal(m.TimeoutMs, &one) == nil {
			for _, h := range hooks {
				perHook[h] = one
			}
		} else if json.Unmarshal(m.TimeoutMs, &perHook) != nil {
			return nil, &chainError{"Middleware.InvalidManifest", fmt.Sprintf(`Middleware manifest of %q is not valid: timeoutMs must be a number or {"before", "after", "error"} numbers.`, name)}
		}
	}
	for _, h := range hooks {
		ms := fallback
		if perHook[h] > 0 {
			ms = perHook[h]
		}
		mw.timeouts[h] = time.Duration(ms) * time.Millisecond
	}
	if m != nil && m.LongLived {
		mw.serve = &longLived{mw: mw, pending: map[int]*pendingCall{}}
	}
	return mw, nil
}

// hookContext: what a hook knows besides its input.
type hookContext struct {
	requestID    string
	functionName string
	deadlineMs   int64
}

const maxOutput = 6*1024*1024 + 64*1024

// call runs one hook and returns its raw JSON answer (before envelopes are read).
func (mw *middleware) call(hook string, input []byte, ctx hookContext) ([]byte, error) {
	if mw.serve != nil {
		return mw.serve.call(hook, input, ctx)
	}
	return mw.runOnce(hook, input, ctx)
}

func startFailure(command string, err error) string {
	if errors.Is(err, os.ErrNotExist) || errors.Is(err, exec.ErrNotFound) {
		return fmt.Sprintf("it could not be started: %s was not found (is it installed and on PATH?)", command)
	}
	if errors.Is(err, os.ErrPermission) {
		return fmt.Sprintf("it could not be started: %s is not executable (chmod +x it)", command)
	}
	return "it could not be started: " + err.Error()
}

// stderrLogger copies a middleware's stderr lines to the function's log, prefixed with its name, and keeps the tail.
type stderrLogger struct {
	name    string
	mu      sync.Mutex
	partial []byte
	tail    []byte
}

func (l *stderrLogger) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.tail = append(l.tail, p...)
	if len(l.tail) > 64*1024 {
		l.tail = l.tail[len(l.tail)-32*1024:]
	}
	l.partial = append(l.partial, p...)
	for {
		i := bytes.IndexByte(l.partial, '\n')
		if i < 0 {
			break
		}
		logLine(fmt.Sprintf("[%s] %s", l.name, l.partial[:i]))
		l.partial = l.partial[i+1:]
	}
	return len(p), nil
}

func (l *stderrLogger) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	if len(l.partial) > 0 {
		logLine(fmt.Sprintf("[%s] %s", l.name, l.partial))
		l.partial = nil
	}
	return string(l.tail)
}

func (mw *middleware) command_(extra ...string) *exec.Cmd {
	cmd := exec.Command(mw.command, append(append([]string{}, mw.args...), extra...)...)
	cmd.Dir = filepath.Dir(mw.path)
	// Its own process group: a hung middleware is killed with everything it started.
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	return cmd
}

func killTree(cmd *exec.Cmd) {
	if cmd.Process != nil {
		_ = syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL)
	}
}

type limitedBuffer struct {
	buf      bytes.Buffer
	overflow bool
	onFull   func()
}

func (b *limitedBuffer) Write(p []byte) (int, error) {
	if b.buf.Len()+len(p) > maxOutput {
		if !b.overflow {
			b.overflow = true
			b.onFull()
		}
		return len(p), nil
	}
	return b.buf.Write(p)
}

func (mw *middleware) runOnce(hook string, input []byte, ctx hookContext) ([]byte, error) {
	cmd := mw.command_(hook)
	cmd.Env = append(os.Environ(), "OPEN_RUNTIME_HOOK="+hook, "OPEN_RUNTIME_REQUEST_ID="+ctx.requestID,
		"OPEN_RUNTIME_FUNCTION="+ctx.functionName, "OPEN_RUNTIME_DEADLINE_MS="+strconv.FormatInt(ctx.deadlineMs, 10))
	cmd.Stdin = bytes.NewReader(input)
	stdout := &limitedBuffer{onFull: func() { killTree(cmd) }}
	stderr := &stderrLogger{name: mw.name}
	cmd.Stdout = stdout
	cmd.Stderr = stderr
	if err := cmd.Start(); err != nil {
		return nil, &hookFailure{middleware: mw.name, hook: hook, what: startFailure(mw.command, err)}
	}
	timeout := mw.timeouts[hook]
	timedOut := false
	timer := time.AfterFunc(timeout, func() {
		timedOut = true
		killTree(cmd)
	})
	err := cmd.Wait()
	timer.Stop()
	out := stdout.buf.String()
	errText := stderr.String()
	switch {
	case timedOut:
		return nil, &hookFailure{mw.name, hook, fmt.Sprintf("it did not finish within its %d ms timeout and was stopped", timeout.Milliseconds()), out, errText}
	case stdout.overflow:
		return nil, &hookFailure{mw.name, hook, fmt.Sprintf("it printed more than %d bytes", maxOutput), "", errText}
	case err != nil:
		return nil, &hookFailure{mw.name, hook, "it " + exitDescription(cmd.ProcessState), out, errText}
	}
	text := bytes.TrimSpace(stdout.buf.Bytes())
	if len(text) == 0 {
		return nil, &hookFailure{mw.name, hook, `it printed nothing on stdout (a hook must print the replacement value as JSON, or {"$response": ...})`, out, errText}
	}
	if !json.Valid(text) {
		var v interface{}
		perr := json.Unmarshal(text, &v)
		return nil, &hookFailure{mw.name, hook, fmt.Sprintf("it printed invalid JSON (%v)", perr), out, errText}
	}
	return text, nil
}

func exitDescription(state *os.ProcessState) string {
	if ws, ok := state.Sys().(syscall.WaitStatus); ok && ws.Signaled() {
		return "was killed by " + signalName(ws.Signal())
	}
	return fmt.Sprintf("exited with code %d", state.ExitCode())
}

func signalName(s syscall.Signal) string {
	names := map[syscall.Signal]string{syscall.SIGKILL: "SIGKILL", syscall.SIGTERM: "SIGTERM", syscall.SIGSEGV: "SIGSEGV", syscall.SIGABRT: "SIGABRT", syscall.SIGINT: "SIGINT"}
	if n, ok := names[s]; ok {
		return n
	}
	return s.String()
}

// pendingCall: a request written to one process, waiting for its answer.
type pendingCall struct {
	ch  chan serveAnswer
	cmd *exec.Cmd
}

type serveAnswer struct {
	output []byte
	err    error
}

// longLived is `<exe> serve`: started on first use, one JSON request per line on its stdin, answers by id on its
// stdout. When it breaks, the calls waiting on it fail and the next call starts it again.
type longLived struct {
	mw      *middleware
	mu      sync.Mutex
	cmd     *exec.Cmd
	stdin   interface{ Write([]byte) (int, error) }
	stderr  *stderrLogger
	pending map[int]*pendingCall
	nextID  int
	line    []byte // the request line being written (l.mu)
}

func (l *longLived) start() error {
	cmd := l.mw.command_("serve")
	cmd.Env = append(os.Environ(), "OPEN_RUNTIME_FUNCTION="+os.Getenv("AWS_LAMBDA_FUNCTION_NAME"))
	stdin, err := cmd.StdinPipe()
	if err != nil {
		return err
	}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		return err
	}
	stderr := &stderrLogger{name: l.mw.name}
	l.stderr = stderr
	cmd.Stderr = stderr
	if err := cmd.Start(); err != nil {
		return err
	}
	l.cmd = cmd
	l.stdin = stdin
	if raw := newRawPipe(stdin); raw != nil {
		l.stdin = raw
	}
	var reader io.Reader = stdout
	if raw := newRawPipe(stdout); raw != nil {
		reader = raw
	}
	go l.read(cmd, reader, stderr)
	return nil
}

func (l *longLived) read(cmd *exec.Cmd, stdout io.Reader, stderr *stderrLogger) {
	scanner := bufio.NewScanner(stdout)
	scanner.Buffer(make([]byte, 64*1024), maxOutput)
	for scanner.Scan() {
		line := scanner.Bytes()
		if len(bytes.TrimSpace(line)) == 0 {
			l.failOldest(cmd, stderr, `it printed an empty line instead of an answer (print {"id": ..., "output": ...})`, string(line), false)
			continue
		}
		idRaw, output, what := readServeAnswer(line)
		if what != "" {
			l.failOldest(cmd, stderr, what, string(line), true)
			continue
		}
		l.mu.Lock()
		id, known := l.answerID(idRaw)
		call, found := l.pending[id]
		if found && call.cmd != cmd {
			found = false
		}
		if known && found {
			delete(l.pending, id)
		}
		l.mu.Unlock()
		if !known || !found {
			l.failOldest(cmd, stderr, fmt.Sprintf(`it answered with an unknown id %s (answers are {"id": <the request's id>, "output": ...})`, idRaw), string(line), true)
			continue
		}
		if output == nil {
			call.ch <- serveAnswer{err: &hookFailure{middleware: l.mw.name, what: `it answered without an "output" (print {"id": ..., "output": <the replacement value>})`, stdout: string(line), stderr: stderr.String()}}
			continue
		}
		call.ch <- serveAnswer{output: append([]byte{}, output...)}
	}
	_ = cmd.Wait()
	l.mu.Lock()
	if l.cmd == cmd {
		l.cmd = nil
	}
	l.mu.Unlock()
	l.failAll(cmd, stderr, "its long-lived process "+exitDescription(cmd.ProcessState))
}

// readServeAnswer reads an answer line as encoding/json reads it into a map: its "id" and "output" (nil when
// absent; the last one when repeated), or what is wrong with it.
func readServeAnswer(line []byte) (id, output []byte, what string) {
	if json.Valid(line) && objectMembers(line, func(key, value []byte) {
		switch string(key) {
		case "id":
			id = value
		case "output":
			output = value
		}
	}) {
		return id, output, ""
	}
	var answer map[string]json.RawMessage
	if err := json.Unmarshal(line, &answer); err != nil {
		return nil, nil, fmt.Sprintf("it printed invalid JSON (%v)", err)
	}
	if answer == nil {
		return nil, nil, "it printed invalid JSON"
	}
	return answer["id"], answer["output"], ""
}

// answerID: the pending call an answer is for: its id as a number or a numeric string, or, with no id, the only
// call waiting. Called with l.mu held.
func (l *longLived) answerID(raw []byte) (int, bool) {
	if raw == nil {
		if len(l.pending) == 1 {
			for k := range l.pending {
				return k, true
			}
		}
		return -1, false
	}
	if len(raw) <= 18 {
		n := 0
		for _, c := range raw {
			if c < '0' || c > '9' {
				n = -1
				break
			}
			n = n*10 + int(c-'0')
		}
		if n >= 0 {
			return n, true
		}
	}
	var number int
	if json.Unmarshal(raw, &number) == nil {
		return number, true
	}
	var text string
	if json.Unmarshal(raw, &text) == nil {
		if n, err := strconv.Atoi(text); err == nil {
			return n, true
		}
	}
	return -1, false
}

func (l *longLived) failOldest(cmd *exec.Cmd, stderr *stderrLogger, what, line string, restart bool) {
	l.mu.Lock()
	oldest := -1
	for id, p := range l.pending {
		if p.cmd == cmd && (oldest < 0 || id < oldest) {
			oldest = id
		}
	}
	var ch chan serveAnswer
	if p, ok := l.pending[oldest]; ok {
		ch = p.ch
		delete(l.pending, oldest)
	}
	if restart && l.cmd == cmd {
		l.cmd = nil
	}
	l.mu.Unlock()
	if restart {
		killTree(cmd)
	}
	if ch != nil {
		ch <- serveAnswer{err: &hookFailure{middleware: l.mw.name, hook: "?", what: what, stdout: line, stderr: stderr.String()}}
	}
}

func (l *longLived) failAll(cmd *exec.Cmd, stderr *stderrLogger, why string) {
	l.mu.Lock()
	waiting := []chan serveAnswer{}
	for id, p := range l.pending {
		if p.cmd == cmd {
			waiting = append(waiting, p.ch)
			delete(l.pending, id)
		}
	}
	l.mu.Unlock()
	for _, ch := range waiting {
		ch <- serveAnswer{err: &hookFailure{middleware: l.mw.name, what: why, stderr: stderr.String()}}
	}
}

func (l *longLived) call(hook string, input []byte, ctx hookContext) ([]byte, error) {
	l.mu.Lock()
	if l.cmd == nil {
		if err := l.start(); err != nil {
			l.mu.Unlock()
			return nil, &hookFailure{middleware: l.mw.name, hook: hook, what: startFailure(l.mw.command, err)}
		}
	}
	cmd, stderr := l.cmd, l.stderr
	l.nextID++
	id := l.nextID
	ch := make(chan serveAnswer, 1)
	l.pending[id] = &pendingCall{ch: ch, cmd: cmd}
	l.line = appendServeRequest(l.line[:0], id, hook, input, ctx)
	_, werr := l.stdin.Write(l.line)
	if cap(l.line) > 64*1024 {
		// A large event's line is not kept for the next call (a function's memory is the function's).
		l.line = nil
	}
	l.mu.Unlock()
	if werr != nil {
		l.mu.Lock()
		delete(l.pending, id)
		l.mu.Unlock()
		return nil, &hookFailure{middleware: l.mw.name, hook: hook, what: "its long-lived process could not be written to: " + werr.Error()}
	}
	timeout := l.mw.timeouts[hook]
	timer := startTimer(timeout)
	defer stopTimer(timer)
	select {
	case answer := <-ch:
		if f, ok := answer.err.(*hookFailure); ok {
			f.hook = hook
		}
		return answer.output, answer.err
	case <-timer.C:
		l.mu.Lock()
		delete(l.pending, id)
		if l.cmd == cmd {
			l.cmd = nil
		}
		l.mu.Unlock()
		killTree(cmd)
		return nil, &hookFailure{middleware: l.mw.name, hook: hook, what: fmt.Sprintf("it did not answer within its %d ms timeout; the long-lived process was stopped and starts again on the next call", timeout.Milliseconds()), stderr: stderr.String()}
	}
}

// appendServeRequest: the request line {"id","hook","input","context"} a `serve` process reads, the context's
// members in encoding/json's order.
func appendServeRequest(b []byte, id int, hook string, input []byte, ctx hookContext) []byte {
	b = append(b, `{"id":`...)
	b = strconv.AppendInt(b, int64(id), 10)
	b = append(b, `,"hook":`...)
	b = appendJSONString(b, hook)
	b = append(b, `,"input":`...)
	b = append(b, input...)
	b = append(b, `,"context":{"deadlineMs":`...)
	b = strconv.AppendInt(b, ctx.deadlineMs, 10)
	b = append(b, `,"functionName":`...)
	b = appendJSONString(b, ctx.functionName)
	b = append(b, `,"requestId":`...)
	b = appendJSONString(b, ctx.requestID)
	return append(b, "}}\n"...)
}

// Hook timeouts come from a pool of stopped timers: time.After's timer would stay in the runtime's heap until it
// fires (3 s by default, six per invoke with three middlewares), and firing wakes the proxy for nothing.
var idleTimers sync.Pool

func startTimer(d time.Duration) *time.Timer {
	if t, ok := idleTimers.Get().(*time.Timer); ok {
		t.Reset(d)
		return t
	}
	return time.NewTimer(d)
}

func stopTimer(t *time.Timer) {
	if !t.Stop() {
		select {
		case <-t.C:
		default:
		}
	}
	idleTimers.Put(t)
}
