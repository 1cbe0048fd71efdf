// Structured-mode CloudEvents with binary data, read as the cloudevents SDK (10.0.0, what the local runner uses)
// reads them: each expected event below is what HTTP.toEvent(...).toJSON() printed for the same body (the live
// comparison with the runner is the conformance table in test/integration/middleware-proxy.test.ts).
package main

import (
	"encoding/json"
	"reflect"
	"testing"
)

func TestStructuredBinaryDataAsTheSDK(t *testing.T) {
	const head = `{"specversion":"1.0","id":"s-2","type":"t","source":"/o",`
	for _, c := range []struct{ body, want string }{
		{head + `"time":"2026-01-01T00:00:01Z","data_base64":"eyJvcmRlciI6MTF9","tenant":"acme"}`, `{"id":"s-2","time":"2026-01-01T00:00:01.000Z","type":"t","source":"/o","specversion":"1.0","data_base64":"eyJvcmRlciI6MTF9","tenant":"acme"}`},
		{head + `"data_base64":"eyJvcmRl\nciI6MTF9=","data":{"x":1}}`, `{"id":"s-2","type":"t","source":"/o","specversion":"1.0","data_base64":"eyJvcmRlciI6MTF9"}`},
		{head + `"data_base64":"==="}`, `{"id":"s-2","type":"t","source":"/o","specversion":"1.0","data_base64":"","data":{}}`},
		{head + `"data_base64":""}`, `{"id":"s-2","type":"t","source":"/o","specversion":"1.0"}`},
		{head + `"data_base64":5}`, ``},
		{head + `"data_base64":[1,300,-1,2.9,null,true]}`, `{"id":"s-2","type":"t","source":"/o","specversion":"1.0","data_base64":"ASz/AgAB"}`},
		{head + `"data_base64":{"a":1}}`, ``},
		{head + `"datacontentencoding":"base64","data":"/+8A"}`, `{"id":"s-2","type":"t","source":"/o","specversion":"1.0","data_base64":"/+8A"}`},
		{head + `"datacontentencoding":"base64"}`, ``},
		{head + `"datacontentencoding":"gzip","data_base64":"YQ"}`, `{"id":"s-2","type":"t","source":"/o","specversion":"1.0","data_base64":"YQ=="}`},
		{head + `"datacontentencoding":"gzip","data":"YQ"}`, `{"id":"s-2","type":"t","source":"/o","specversion":"1.0","datacontentencoding":"gzip","data":"YQ"}`},
		{head + `"data_base64":"-_8"}`, `{"id":"s-2","type":"t","source":"/o","specversion":"1.0","data_base64":"+/8="}`},
	} {
		events, isEvent, err := httpToCloudEvents(map[string]string{"content-type": "application/cloudevents+json"}, c.body)
		if err != nil {
			t.Errorf("%s: %v", c.body, err)
			continue
		}
		if c.want == "" {
			if isEvent {
				t.Errorf("%s: read as a CloudEvent %s; the SDK does not read it as one", c.body, events[0])
			}
			continue
		}
		if !isEvent || len(events) != 1 {
			t.Errorf("%s: not read as one CloudEvent", c.body)
			continue
		}
		var got, want map[string]interface{}
		_ = json.Unmarshal(events[0], &got)
		_ = json.Unmarshal([]byte(c.want), &want)
		if _, ok := want["time"]; !ok {
			// No time in the body: the event's time is now.
			delete(got, "time")
		}
		if !reflect.DeepEqual(got, want) {
			t.Errorf("%s:\n got  %s\n want %s", c.body, events[0], c.want)
		}
	}
}

func TestNodeBase64(t *testing.T) {
	// What Buffer.from(s, "base64") gives in Node 24.
	for s, want := range map[string][]byte{
		"eyJvcmRlciI6MTF9":        []byte(`{"order":11}`),
		" eyJv cmRl\tciI6MTF9 \n": []byte(`{"order":11}`),
		"YQ":                      {97},
		"YQ===":                   {97},
		"Y":                       {},
		"YQ==YQ==":                {97},
		"YQ=YQ":                   {97},
		"-_-_":                    {251, 255, 191},
		"+/+/":                    {251, 255, 191},
		"Y!Q==":                   {97},
		"=YQ":                     {},
		"YWJj=ZGVm":               {97, 98, 99},
		"Y\u00e9Q":                {97},
		"YWJjZA=a":                {97, 98, 99, 100},
		"YQ%3D%3D":                {97, 13, 195, 220},
	} {
		if got := nodeBase64(s); string(got) != string(want) {
			t.Errorf("%q: got %v, want %v", s, got, want)
		}
	}
}
