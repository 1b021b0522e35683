package rpc

import (
	"context"
	"errors"
)

// Client is a typed supervisord XML-RPC client. serverURL is
// "unix:///path/to/sock" or "http://host:port". API errors come back as
// *Fault (check with errors.As); transport errors as *TransportError.
type Client struct {
	url, username, password string
}

// TransportError is a connection-level failure, with the kind
// supervisorctl distinguishes.
type TransportError struct {
	URL string
	// NoSuchFile: the unix socket does not exist. Refused: connection
	// refused. Unauthorized: HTTP 401.
	NoSuchFile, Refused, Unauthorized bool
	Err                               error
}

func (e *TransportError) Error() string { return e.URL + ": " + e.Err.Error() }
func (e *TransportError) Unwrap() error { return e.Err }

var errNotImplemented = errors.New("rpc: not implemented")

// NewClient returns a client for serverURL.
func NewClient(serverURL, username, password string) *Client {
	return &Client{url: serverURL, username: username, password: password}
}

// URL returns the server URL.
func (c *Client) URL() string { return c.url }

// Call invokes method with args (Go values: int, bool, string, float64,
// time.Time, []byte, []any, map[string]any, structs with xmlrpc tags)
// and returns the decoded result (int, bool, string, float64,
// time.Time, []byte, []any, map[string]any).
func (c *Client) Call(ctx context.Context, method string, args ...any) (any, error) {
	return nil, errNotImplemented
}

func (c *Client) GetVersion(ctx context.Context) (string, error) { return "", errNotImplemented }
func (c *Client) GetSupervisorVersion(ctx context.Context) (string, error) {
	return "", errNotImplemented
}
func (c *Client) GetIdentification(ctx context.Context) (string, error) { return "", errNotImplemented }
func (c *Client) GetState(ctx context.Context) (State, error)           { return State{}, errNotImplemented }
func (c *Client) GetPID(ctx context.Context) (int, error)               { return 0, errNotImplemented }
func (c *Client) ReadLog(ctx context.Context, offset, length int) (string, error) {
	return "", errNotImplemented
}
func (c *Client) ClearLog(ctx context.Context) error { return errNotImplemented }
func (c *Client) Shutdown(ctx context.Context) error { return errNotImplemented }
func (c *Client) Restart(ctx context.Context) error  { return errNotImplemented }
func (c *Client) GetProcessInfo(ctx context.Context, name string) (ProcessInfo, error) {
	return ProcessInfo{}, errNotImplemented
}
func (c *Client) GetAllProcessInfo(ctx context.Context) ([]ProcessInfo, error) {
	return nil, errNotImplemented
}
func (c *Client) GetAllConfigInfo(ctx context.Context) ([]ConfigInfo, error) {
	return nil, errNotImplemented
}
func (c *Client) StartProcess(ctx context.Context, name string, wait bool) error {
	return errNotImplemented
}
func (c *Client) StartProcessGroup(ctx context.Context, name string, wait bool) ([]Result, error) {
	return nil, errNotImplemented
}
func (c *Client) StartAllProcesses(ctx context.Context, wait bool) ([]Result, error) {
	return nil, errNotImplemented
}
func (c *Client) StopProcess(ctx context.Context, name string, wait bool) error {
	return errNotImplemented
}
func (c *Client) StopProcessGroup(ctx context.Context, name string, wait bool) ([]Result, error) {
	return nil, errNotImplemented
}
func (c *Client) StopAllProcesses(ctx context.Context, wait bool) ([]Result, error) {
	return nil, errNotImplemented
}
func (c *Client) SignalProcess(ctx context.Context, name, signal string) error {
	return errNotImplemented
}
func (c *Client) SignalProcessGroup(ctx context.Context, name, signal string) ([]Result, error) {
	return nil, errNotImplemented
}
func (c *Client) SignalAllProcesses(ctx context.Context, signal string) ([]Result, error) {
	return nil, errNotImplemented
}
func (c *Client) SendProcessStdin(ctx context.Context, name, chars string) error {
	return errNotImplemented
}
func (c *Client) SendRemoteCommEvent(ctx context.Context, typ, data string) error {
	return errNotImplemented
}
func (c *Client) ReloadConfig(ctx context.Context) (added, changed, removed []string, err error) {
	return nil, nil, nil, errNotImplemented
}
func (c *Client) AddProcessGroup(ctx context.Context, name string) error    { return errNotImplemented }
func (c *Client) RemoveProcessGroup(ctx context.Context, name string) error { return errNotImplemented }
func (c *Client) ReadProcessStdoutLog(ctx context.Context, name string, offset, length int) (string, error) {
	return "", errNotImplemented
}
func (c *Client) ReadProcessStderrLog(ctx context.Context, name string, offset, length int) (string, error) {
	return "", errNotImplemented
}
func (c *Client) TailProcessStdoutLog(ctx context.Context, name string, offset, length int) (string, int, bool, error) {
	return "", 0, false, errNotImplemented
}
func (c *Client) TailProcessStderrLog(ctx context.Context, name string, offset, length int) (string, int, bool, error) {
	return "", 0, false, errNotImplemented
}
func (c *Client) ClearProcessLogs(ctx context.Context, name string) error { return errNotImplemented }
func (c *Client) ClearAllProcessLogs(ctx context.Context) ([]Result, error) {
	return nil, errNotImplemented
}

// LogTail opens GET /logtail/<name>[/<channel>] (or /mainlogtail when
// name is "") and returns the streaming body; the caller closes it.
func (c *Client) LogTail(ctx context.Context, name, channel string) (interface {
	Read([]byte) (int, error)
	Close() error
}, error) {
	return nil, errNotImplemented
}
