package main

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"strings"
)

// rawRPC posts XML-RPC calls without arguments and returns the response
// body undecoded. The runner times daemon round trips with it, so that
// the figures are the daemon's (plus transfer), not the time
// pkg/rpc.Client spends decoding a megabyte of XML; the client's own
// cost is measured separately (getallDecoded). It is also the cheap
// poll while waiting for N processes to be RUNNING, so the poller does
// not steal a core from the daemon on a 2-core machine.
type rawRPC struct {
	hc *http.Client
}

func newRawRPC(sock string) *rawRPC {
	tr := &http.Transport{
		DialContext: func(ctx context.Context, _, _ string) (net.Conn, error) {
			var d net.Dialer
			return d.DialContext(ctx, "unix", sock)
		},
		MaxIdleConnsPerHost: 1,
		DisableCompression:  true,
	}
	return &rawRPC{hc: &http.Client{Transport: tr}}
}

// call invokes a method without arguments and returns the whole
// methodResponse body; a fault is an error.
func (c *rawRPC) call(ctx context.Context, method string) ([]byte, error) {
	body := "<?xml version='1.0'?>\n<methodCall>\n<methodName>" + method + "</methodName>\n<params>\n</params>\n</methodCall>\n"
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, "http://localhost/RPC2", strings.NewReader(body))
	if err != nil {
		return nil, err
	}
	req.Header.Set("Content-Type", "text/xml")
	resp, err := c.hc.Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		return nil, fmt.Errorf("%s: read response: %w", method, err)
	}
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("%s: HTTP %s", method, resp.Status)
	}
	if bytes.Contains(b, []byte("<fault>")) {
		return nil, fmt.Errorf("%s: fault: %.300s", method, b)
	}
	return b, nil
}

func (c *rawRPC) close() { c.hc.CloseIdleConnections() }

// countRunning counts processes whose statename is RUNNING in a raw
// getAllProcessInfo response (program names here never contain it, and
// the description of a RUNNING process is "pid N, uptime ...").
func countRunning(b []byte) int { return bytes.Count(b, []byte(">RUNNING<")) }

// countProcs counts the process structs in a raw getAllProcessInfo
// response.
func countProcs(b []byte) int { return bytes.Count(b, []byte(">statename<")) }
