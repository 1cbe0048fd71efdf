// rawPipe must behave as the os.File it replaces: the same bytes, EOF, a full pipe waited on, the same errors.
package main

import (
	"bytes"
	"io"
	"os"
	"os/exec"
	"testing"
)

func TestRawPipeAsOSFile(t *testing.T) {
	r, w, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	reader, writer := newRawPipe(r), newRawPipe(w)
	// 1 MiB: far more than a pipe holds, so the writer waits for the reader.
	payload := bytes.Repeat([]byte("0123456789abcdef"), 64*1024)
	done := make(chan error, 1)
	go func() {
		n, err := writer.Write(payload)
		if err == nil && n != len(payload) {
			err = io.ErrShortWrite
		}
		w.Close()
		done <- err
	}()
	got, err := io.ReadAll(reader)
	if err != nil || !bytes.Equal(got, payload) {
		t.Fatalf("read %d bytes (%v), want %d", len(got), err, len(payload))
	}
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	if _, err := reader.Read(make([]byte, 8)); err != io.EOF {
		t.Fatalf("after the writer closed: %v, want EOF", err)
	}
	r.Close()
	if _, err := reader.Read(make([]byte, 8)); err == nil || err.Error() != "read |0: file already closed" {
		t.Fatalf("reading a closed pipe: %v", err)
	}

	// Writing to a pipe whose reader is gone, and to a closed one: os.File's errors.
	cmd := exec.Command("true")
	stdin, _ := cmd.StdinPipe()
	if err := cmd.Run(); err != nil {
		t.Fatal(err)
	}
	r2, w2, _ := os.Pipe()
	r2.Close()
	_, want := w2.Write([]byte("x"))
	if _, err := newRawPipe(w2).Write([]byte("x")); err == nil || want == nil || err.Error() != want.Error() {
		t.Fatalf("writing with no reader: %v, want %v", err, want)
	}
	_, want = stdin.Write([]byte("x"))
	if _, err := newRawPipe(stdin).Write([]byte("x")); err == nil || want == nil || err.Error() != want.Error() {
		t.Fatalf("writing a closed pipe: %v, want %v", err, want)
	}
}
