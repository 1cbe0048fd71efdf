// GoHello: a Go function for provided.al2023 written with the standard library only. It speaks the Lambda
// Runtime API itself (the loop aws-lambda-go runs for you), so it builds without downloading modules:
//
//	open-runtime build GoHello --arch arm64   # .open-runtime/build/GoHello/arm64/function.zip, a static bootstrap
//
// It greets the event's "name" and says which processor it runs on (runtime.GOARCH), so an arm64 build run
// under qemu on an x86_64 machine shows "arm64".
package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"runtime"
)

type event struct {
	Name string `json:"name"`
}

type greeting struct {
	Message      string `json:"message"`
	Architecture string `json:"architecture"`
	FunctionName string `json:"functionName"`
	RequestID    string `json:"requestId"`
}

// handle is the function itself; the rest of the file is the runtime loop.
func handle(requestID string, payload []byte) (any, error) {
	var e event
	if err := json.Unmarshal(payload, &e); err != nil {
		return nil, fmt.Errorf("the event is not a JSON object with an optional \"name\": %v", err)
	}
	if e.Name == "" {
		e.Name = "world"
	}
	return greeting{
		Message:      "Hello, " + e.Name + "!",
		Architecture: runtime.GOARCH,
		FunctionName: os.Getenv("AWS_LAMBDA_FUNCTION_NAME"),
		RequestID:    requestID,
	}, nil
}

func main() {
	api := os.Getenv("AWS_LAMBDA_RUNTIME_API")
	if api == "" {
		fmt.Fprintln(os.Stderr, "AWS_LAMBDA_RUNTIME_API is not set: this bootstrap runs inside Lambda or open-runtime.")
		os.Exit(1)
	}
	base := "http://" + api + "/2018-06-01/runtime/invocation/"
	// No client timeout: /next waits for as long as the function is idle.
	client := &http.Client{}
	for {
		res, err := client.Get(base + "next")
		if err != nil {
			fmt.Fprintln(os.Stderr, "cannot reach the Runtime API:", err)
			os.Exit(1)
		}
		payload, err := io.ReadAll(res.Body)
		res.Body.Close()
		if err != nil {
			fmt.Fprintln(os.Stderr, "cannot read the event:", err)
			os.Exit(1)
		}
		requestID := res.Header.Get("Lambda-Runtime-Aws-Request-Id")
		fmt.Printf("handling request %s\n", requestID)
		result, err := handle(requestID, payload)
		if err != nil {
			body, _ := json.Marshal(map[string]string{"errorType": "InvalidEvent", "errorMessage": err.Error()})
			post(client, base+requestID+"/error", body, "InvalidEvent")
			continue
		}
		body, err := json.Marshal(result)
		if err != nil {
			body, _ = json.Marshal(map[string]string{"errorType": "Runtime.MarshalError", "errorMessage": err.Error()})
			post(client, base+requestID+"/error", body, "Runtime.MarshalError")
			continue
		}
		post(client, base+requestID+"/response", body, "")
	}
}

func post(client *http.Client, url string, body []byte, errorType string) {
	req, _ := http.NewRequest(http.MethodPost, url, bytes.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	if errorType != "" {
		req.Header.Set("Lambda-Runtime-Function-Error-Type", errorType)
	}
	res, err := client.Do(req)
	if err != nil {
		fmt.Fprintln(os.Stderr, "cannot post the result:", err)
		os.Exit(1)
	}
	io.Copy(io.Discard, res.Body)
	res.Body.Close()
}
