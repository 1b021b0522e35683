package rpc

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"syscall"
)

// Client is a typed supervisord XML-RPC client. serverURL is
// "unix:///path/to/sock" or "http://host:port". API errors come back as
// *Fault (check with errors.As); transport errors as *TransportError.
// A Client is safe for concurrent use and keeps connections alive.
type Client struct {
	url, username, password string

	once    sync.Once
	hc      *http.Client
	base    string // "http://host:port" used in requests
	initErr error
}

// TransportError is a connection-level failure, with the kind
// supervisorctl distinguishes.
type TransportError struct {
	URL string
	// NoSuchFile: the unix socket does not exist. Refused: connection
	// refused. Unauthorized: HTTP 401.
	NoSuchFile, Refused, Unauthorized bool
	// Status is the HTTP status when the server answered with one
	// other than 200 (401 sets Unauthorized too).
	Status int
	Err    error
}

func (e *TransportError) Error() string { return e.URL + ": " + e.Err.Error() }
func (e *TransportError) Unwrap() error { return e.Err }

// NewClient returns a client for serverURL.
func NewClient(serverURL, username, password string) *Client {
	return &Client{url: serverURL, username: username, password: password}
}

// URL returns the server URL.
func (c *Client) URL() string { return c.url }

// Close releases idle connections.
func (c *Client) Close() error {
	if c.hc != nil {
		c.hc.CloseIdleConnections()
	}
	return nil
}

func (c *Client) init() error {
	c.once.Do(func() {
		tr := &http.Transport{
			MaxIdleConnsPerHost: 4,
			DisableCompression:  true,
		}
		switch {
		case strings.HasPrefix(c.url, "unix://"):
			path := strings.TrimPrefix(c.url, "unix://")
			var d net.Dialer
			tr.DialContext = func(ctx context.Context, _, _ string) (net.Conn, error) {
				return d.DialContext(ctx, "unix", path)
			}
			c.base = "http://localhost"
		case strings.HasPrefix(c.url, "http://"):
			u, err := url.Parse(c.url)
			if err != nil {
				c.initErr = &TransportError{URL: c.url, Err: fmt.Errorf("bad server url: %w", err)}
				return
			}
			host := u.Host
			if u.Port() == "" {
				host = net.JoinHostPort(u.Hostname(), "80")
			}
			tr.Proxy = nil
			c.base = "http://" + host
		default:
			c.initErr = &TransportError{URL: c.url, Err: errors.New("url must be http:// or unix://")}
			return
		}
		c.hc = &http.Client{Transport: tr}
	})
	return c.initErr
}

// transportErr classifies err from the HTTP client.
func (c *Client) transportErr(err error) error {
	te := &TransportError{URL: c.url, Err: err}
	switch {
	case errors.Is(err, syscall.ENOENT):
		te.NoSuchFile = true
	case errors.Is(err, syscall.ECONNREFUSED):
		te.Refused = true
	}
	return te
}

func (c *Client) do(ctx context.Context, method, path string, body []byte) (*http.Response, error) {
	if err := c.init(); err != nil {
		return nil, err
	}
	var rd io.Reader
	if body != nil {
		rd = bytes.NewReader(body)
	}
	req, err := http.NewRequestWithContext(ctx, method, c.base+path, rd)
	if err != nil {
		return nil, &TransportError{URL: c.url, Err: err}
	}
	if body != nil {
		req.Header.Set("Content-Type", "text/xml")
		req.Header.Set("Accept", "text/xml")
	}
	req.Header.Set("User-Agent", "superctl")
	if c.username != "" {
		req.SetBasicAuth(c.username, c.password)
	}
	resp, err := c.hc.Do(req)
	if err != nil {
		if ctx.Err() != nil {
			return nil, ctx.Err()
		}
		return nil, c.transportErr(err)
	}
	if resp.StatusCode != http.StatusOK {
		io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10))
		resp.Body.Close()
		return nil, &TransportError{
			URL:          c.url,
			Status:       resp.StatusCode,
			Unauthorized: resp.StatusCode == http.StatusUnauthorized,
			Err:          fmt.Errorf("http status %s", resp.Status),
		}
	}
	return resp, nil
}

// Call invokes method with args (Go values: int, bool, string, float64,
// time.Time, []byte, []any, map[string]any, structs with xmlrpc tags)
// and returns the decoded result (int, bool, string, float64,
// time.Time, []byte, []any, map[string]any).
func (c *Client) Call(ctx context.Context, method string, args ...any) (any, error) {
	v, _, err := c.call(ctx, nil, method, args)
	return v, err
}

// call runs method; with dst non-nil it first tries to decode the
// result straight into dst (done reports that it did).
func (c *Client) call(ctx context.Context, dst any, method string, args []any) (v any, done bool, err error) {
	var body bytes.Buffer
	if err := EncodeCall(&body, method, args...); err != nil {
		return nil, false, err
	}
	resp, err := c.do(ctx, http.MethodPost, "/RPC2", body.Bytes())
	if err != nil {
		return nil, false, err
	}
	defer resp.Body.Close()
	data, rerr := readBodySized(resp.Body, resp.ContentLength)
	if dst != nil && rerr == nil && len(data) <= MaxBodySize {
		if unmarshalResponseFast(data, dst) == nil {
			return nil, true, nil
		}
	}
	v, err = decodeResponseBytes(data, rerr)
	if err != nil {
		var f *Fault
		if errors.As(err, &f) {
			return nil, false, f
		}
		if ctx.Err() != nil {
			return nil, false, ctx.Err()
		}
		if errors.Is(err, ErrSyntax) {
			return nil, false, fmt.Errorf("%s: %s: %w", c.url, method, err)
		}
		return nil, false, c.transportErr(err)
	}
	return v, false, nil
}

// CallInto invokes method and stores the result in dst (see Unmarshal).
func (c *Client) CallInto(ctx context.Context, dst any, method string, args ...any) error {
	v, done, err := c.call(ctx, dst, method, args)
	if err != nil || done {
		return err
	}
	if err := Unmarshal(v, dst); err != nil {
		return fmt.Errorf("%s: %w", method, err)
	}
	return nil
}

// MultiCall is one call of system.multicall.
type MultiCall struct {
	Method string
	Params []any
}

// Multicall runs calls with system.multicall. Each result is the
// method's return value or a *Fault.
func (c *Client) Multicall(ctx context.Context, calls []MultiCall) ([]any, error) {
	arg := make([]any, len(calls))
	for i, mc := range calls {
		params := mc.Params
		if params == nil {
			params = []any{}
		}
		arg[i] = map[string]any{"methodName": mc.Method, "params": params}
	}
	var raw []any
	if err := c.CallInto(ctx, &raw, "system.multicall", arg); err != nil {
		return nil, err
	}
	for i, r := range raw {
		if m, ok := r.(map[string]any); ok {
			code, ok1 := m["faultCode"].(int)
			s, ok2 := m["faultString"].(string)
			if ok1 && ok2 && len(m) == 2 {
				raw[i] = &Fault{Code: code, String: s}
			}
		}
	}
	return raw, nil
}

func (c *Client) str(ctx context.Context, method string, args ...any) (string, error) {
	var s string
	err := c.CallInto(ctx, &s, method, args...)
	return s, err
}

func (c *Client) ok(ctx context.Context, method string, args ...any) error {
	_, err := c.Call(ctx, method, args...)
	return err
}

func (c *Client) results(ctx context.Context, method string, args ...any) ([]Result, error) {
	var r []Result
	err := c.CallInto(ctx, &r, method, args...)
	return r, err
}

func (c *Client) GetVersion(ctx context.Context) (string, error) {
	return c.str(ctx, "supervisor.getVersion")
}
func (c *Client) GetAPIVersion(ctx context.Context) (string, error) {
	return c.str(ctx, "supervisor.getAPIVersion")
}
func (c *Client) GetSupervisorVersion(ctx context.Context) (string, error) {
	return c.str(ctx, "supervisor.getSupervisorVersion")
}
func (c *Client) GetIdentification(ctx context.Context) (string, error) {
	return c.str(ctx, "supervisor.getIdentification")
}
func (c *Client) GetState(ctx context.Context) (State, error) {
	var s State
	err := c.CallInto(ctx, &s, "supervisor.getState")
	return s, err
}
func (c *Client) GetPID(ctx context.Context) (int, error) {
	var n int
	err := c.CallInto(ctx, &n, "supervisor.getPID")
	return n, err
}
func (c *Client) ReadLog(ctx context.Context, offset, length int) (string, error) {
	return c.str(ctx, "supervisor.readLog", offset, length)
}
func (c *Client) ClearLog(ctx context.Context) error { return c.ok(ctx, "supervisor.clearLog") }
func (c *Client) Shutdown(ctx context.Context) error { return c.ok(ctx, "supervisor.shutdown") }
func (c *Client) Restart(ctx context.Context) error  { return c.ok(ctx, "supervisor.restart") }
func (c *Client) GetProcessInfo(ctx context.Context, name string) (ProcessInfo, error) {
	var p ProcessInfo
	err := c.CallInto(ctx, &p, "supervisor.getProcessInfo", name)
	return p, err
}
func (c *Client) GetAllProcessInfo(ctx context.Context) ([]ProcessInfo, error) {
	var p []ProcessInfo
	err := c.CallInto(ctx, &p, "supervisor.getAllProcessInfo")
	return p, err
}
func (c *Client) GetAllConfigInfo(ctx context.Context) ([]ConfigInfo, error) {
	var p []ConfigInfo
	err := c.CallInto(ctx, &p, "supervisor.getAllConfigInfo")
	return p, err
}
func (c *Client) StartProcess(ctx context.Context, name string, wait bool) error {
	return c.ok(ctx, "supervisor.startProcess", name, wait)
}
func (c *Client) StartProcessGroup(ctx context.Context, name string, wait bool) ([]Result, error) {
	return c.results(ctx, "supervisor.startProcessGroup", name, wait)
}
func (c *Client) StartAllProcesses(ctx context.Context, wait bool) ([]Result, error) {
	return c.results(ctx, "supervisor.startAllProcesses", wait)
}
func (c *Client) StopProcess(ctx context.Context, name string, wait bool) error {
	return c.ok(ctx, "supervisor.stopProcess", name, wait)
}
func (c *Client) StopProcessGroup(ctx context.Context, name string, wait bool) ([]Result, error) {
	return c.results(ctx, "supervisor.stopProcessGroup", name, wait)
}
func (c *Client) StopAllProcesses(ctx context.Context, wait bool) ([]Result, error) {
	return c.results(ctx, "supervisor.stopAllProcesses", wait)
}
func (c *Client) SignalProcess(ctx context.Context, name, signal string) error {
	return c.ok(ctx, "supervisor.signalProcess", name, signal)
}
func (c *Client) SignalProcessGroup(ctx context.Context, name, signal string) ([]Result, error) {
	return c.results(ctx, "supervisor.signalProcessGroup", name, signal)
}
func (c *Client) SignalAllProcesses(ctx context.Context, signal string) ([]Result, error) {
	return c.results(ctx, "supervisor.signalAllProcesses", signal)
}
func (c *Client) SendProcessStdin(ctx context.Context, name, chars string) error {
	return c.ok(ctx, "supervisor.sendProcessStdin", name, chars)
}
func (c *Client) SendRemoteCommEvent(ctx context.Context, typ, data string) error {
	return c.ok(ctx, "supervisor.sendRemoteCommEvent", typ, data)
}

// ReloadConfig returns the group names added, changed and removed.
func (c *Client) ReloadConfig(ctx context.Context) (added, changed, removed []string, err error) {
	var r [][][]string
	if err := c.CallInto(ctx, &r, "supervisor.reloadConfig"); err != nil {
		return nil, nil, nil, err
	}
	if len(r) != 1 || len(r[0]) != 3 {
		return nil, nil, nil, fmt.Errorf("supervisor.reloadConfig: unexpected result shape")
	}
	return r[0][0], r[0][1], r[0][2], nil
}
func (c *Client) AddProcessGroup(ctx context.Context, name string) error {
	return c.ok(ctx, "supervisor.addProcessGroup", name)
}
func (c *Client) RemoveProcessGroup(ctx context.Context, name string) error {
	return c.ok(ctx, "supervisor.removeProcessGroup", name)
}
func (c *Client) ReadProcessStdoutLog(ctx context.Context, name string, offset, length int) (string, error) {
	return c.str(ctx, "supervisor.readProcessStdoutLog", name, offset, length)
}
func (c *Client) ReadProcessStderrLog(ctx context.Context, name string, offset, length int) (string, error) {
	return c.str(ctx, "supervisor.readProcessStderrLog", name, offset, length)
}

// TailProcessStdoutLog returns (bytes, new offset, overflow).
func (c *Client) TailProcessStdoutLog(ctx context.Context, name string, offset, length int) (string, int, bool, error) {
	return c.tail(ctx, "supervisor.tailProcessStdoutLog", name, offset, length)
}

// TailProcessStderrLog returns (bytes, new offset, overflow).
func (c *Client) TailProcessStderrLog(ctx context.Context, name string, offset, length int) (string, int, bool, error) {
	return c.tail(ctx, "supervisor.tailProcessStderrLog", name, offset, length)
}

func (c *Client) tail(ctx context.Context, method, name string, offset, length int) (string, int, bool, error) {
	var r []any
	if err := c.CallInto(ctx, &r, method, name, offset, length); err != nil {
		return "", 0, false, err
	}
	var (
		s  string
		n  int
		ov bool
	)
	if len(r) != 3 {
		return "", 0, false, fmt.Errorf("%s: unexpected result shape", method)
	}
	if err := Unmarshal(r[0], &s); err != nil {
		return "", 0, false, err
	}
	if err := Unmarshal(r[1], &n); err != nil {
		return "", 0, false, err
	}
	if err := Unmarshal(r[2], &ov); err != nil {
		return "", 0, false, err
	}
	return s, n, ov, nil
}

func (c *Client) ClearProcessLogs(ctx context.Context, name string) error {
	return c.ok(ctx, "supervisor.clearProcessLogs", name)
}
func (c *Client) ClearAllProcessLogs(ctx context.Context) ([]Result, error) {
	return c.results(ctx, "supervisor.clearAllProcessLogs")
}

// ListMethods calls system.listMethods.
func (c *Client) ListMethods(ctx context.Context) ([]string, error) {
	var r []string
	err := c.CallInto(ctx, &r, "system.listMethods")
	return r, err
}

// MethodHelp calls system.methodHelp.
func (c *Client) MethodHelp(ctx context.Context, name string) (string, error) {
	return c.str(ctx, "system.methodHelp", name)
}

// MethodSignature calls system.methodSignature.
func (c *Client) MethodSignature(ctx context.Context, name string) ([]string, error) {
	var r []string
	err := c.CallInto(ctx, &r, "system.methodSignature", name)
	return r, err
}

// LogTail opens GET /logtail/<name>[/<channel>] (or /mainlogtail when
// name is "") and returns the streaming body; the caller closes it.
// An unknown process or missing log file gives a *TransportError with
// Status 404.
func (c *Client) LogTail(ctx context.Context, name, channel string) (interface {
	Read([]byte) (int, error)
	Close() error
}, error) {
	path := "/mainlogtail"
	if name != "" {
		path = "/logtail/" + url.PathEscape(name)
		if channel != "" {
			path += "/" + url.PathEscape(channel)
		}
	}
	resp, err := c.do(ctx, http.MethodGet, path, nil)
	if err != nil {
		return nil, err
	}
	return resp.Body, nil
}
