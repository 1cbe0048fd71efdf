// Who may use the proxy's Runtime API: only the runtime it started and that runtime's processes, as the runner's
// own Runtime API admits only the environment's processes (runner/runtime-api/access.ts). On Lambda the sandbox
// holds nothing else; under the local runner any local process could otherwise connect to 127.0.0.1:port, take
// the function's events from /next or post answers for it, through the proxy, past the runner's own check.
// The kernel says who is at the other end: the peer socket's inode (/proc/net/tcp, by its four-tuple) must be an
// open file of one of the proxy's descendants.
package main

import (
	"bufio"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"strings"
)

type guardedListener struct {
	net.Listener
	port int
}

func (l guardedListener) Accept() (net.Conn, error) {
	for {
		conn, err := l.Listener.Accept()
		if err != nil {
			return nil, err
		}
		if why := refusePeer(conn, l.port); why != "" {
			message := fmt.Sprintf("Refused a connection to the Open Runtime layer's Runtime API address 127.0.0.1:%d: %s. It serves only the function's own runtime.", l.port, why)
			logLine("open-runtime-proxy: " + message)
			// As the runner refuses (runtime-api/access.ts): a 403 that says why, then the connection is closed.
			body := fmt.Sprintf(`{"errorType":"AccessDenied","errorMessage":%q}`, message)
			_, _ = fmt.Fprintf(conn, "HTTP/1.1 403 Forbidden\r\nContent-Type: application/json\r\nContent-Length: %d\r\nConnection: close\r\n\r\n%s", len(body), body)
			conn.Close()
			continue
		}
		return conn, nil
	}
}

// refusePeer: why the connection is refused, or "" when one of the proxy's descendants made it (or /proc cannot tell).
func refusePeer(conn net.Conn, listenerPort int) string {
	remote, ok := conn.RemoteAddr().(*net.TCPAddr)
	if !ok {
		return ""
	}
	inode, found, readable := peerInode(remote.Port, listenerPort)
	if !readable {
		return ""
	}
	if !found {
		return fmt.Sprintf("no socket of 127.0.0.1:%d found in /proc/net/tcp", remote.Port)
	}
	target := "socket:[" + inode + "]"
	for _, pid := range descendants(os.Getpid()) {
		fds, err := os.ReadDir(filepath.Join("/proc", strconv.Itoa(pid), "fd"))
		if err != nil {
			continue
		}
		for _, fd := range fds {
			if link, err := os.Readlink(filepath.Join("/proc", strconv.Itoa(pid), "fd", fd.Name())); err == nil && link == target {
				return ""
			}
		}
	}
	return fmt.Sprintf("127.0.0.1:%d is not a process of this function's runtime", remote.Port)
}

// peerInode finds the client end of a connection (local port = the client's, remote port = the listener's).
func peerInode(clientPort, listenerPort int) (inode string, found bool, readable bool) {
	f, err := os.Open("/proc/net/tcp")
	if err != nil {
		return "", false, false
	}
	defer f.Close()
	local := fmt.Sprintf("0100007F:%04X", clientPort)
	remote := fmt.Sprintf("0100007F:%04X", listenerPort)
	scanner := bufio.NewScanner(f)
	for scanner.Scan() {
		fields := strings.Fields(scanner.Text())
		if len(fields) > 9 && fields[1] == local && fields[2] == remote {
			return fields[9], true, true
		}
	}
	return "", false, true
}

// descendants: the pids under root (its children, theirs ...), from each process's parent in /proc/PID/stat.
func descendants(root int) []int {
	entries, err := os.ReadDir("/proc")
	if err != nil {
		return nil
	}
	children := map[int][]int{}
	for _, e := range entries {
		pid, err := strconv.Atoi(e.Name())
		if err != nil {
			continue
		}
		stat, err := os.ReadFile(filepath.Join("/proc", e.Name(), "stat"))
		if err != nil {
			continue
		}
		// "pid (comm) state ppid ...": comm may hold spaces and parentheses, so read after the last ')'.
		rest := strings.Fields(string(stat[strings.LastIndexByte(string(stat), ')')+1:]))
		if len(rest) < 2 {
			continue
		}
		if ppid, err := strconv.Atoi(rest[1]); err == nil {
			children[ppid] = append(children[ppid], pid)
		}
	}
	out := []int{}
	queue := []int{root}
	for len(queue) > 0 {
		pid := queue[0]
		queue = queue[1:]
		for _, child := range children[pid] {
			out = append(out, child)
			queue = append(queue, child)
		}
	}
	return out
}
