package rpc

import (
	"bytes"
	"context"
	"log/slog"
	"net/http/httptest"
	"strings"
	"testing"
)

// TestTraceLog: with loglevel=trace supervisord logs every XML-RPC call
// and how it ended (xmlrpc.py continue_request); superd logs the same
// lines at LevelTrace, and nothing at higher levels.
func TestTraceLog(t *testing.T) {
	t.Parallel()
	for _, level := range []slog.Level{LevelTrace, slog.LevelDebug} {
		var buf bytes.Buffer
		log := slog.New(slog.NewTextHandler(&buf, &slog.HandlerOptions{Level: level,
			ReplaceAttr: func(_ []string, a slog.Attr) slog.Attr {
				if a.Key == slog.TimeKey || a.Key == slog.LevelKey {
					return slog.Attr{}
				}
				return a
			}}))
		srv := httptest.NewServer(NewServer(newFake(t), ServerOptions{Logger: log}))
		c := NewClient(srv.URL, "", "")
		ctx := context.Background()
		if _, err := c.GetState(ctx); err != nil {
			t.Fatal(err)
		}
		if _, err := c.GetProcessInfo(ctx, "nope"); err == nil {
			t.Fatal("no fault for a bad name")
		}
		c.Close()
		srv.Close()
		want := `msg="XML-RPC method called: supervisor.getState()"
msg="XML-RPC method supervisor.getState() returned successfully"
msg="XML-RPC method called: supervisor.getProcessInfo()"
msg="XML-RPC method supervisor.getProcessInfo() returned fault: [10] BAD_NAME: nope"
`
		if level != LevelTrace {
			want = ""
		}
		if got := buf.String(); got != want {
			t.Errorf("level %v: logged\n%s\nwant\n%s", level, got, strings.TrimSpace(want))
		}
	}
}
