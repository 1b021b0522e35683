package web

import (
	"context"
	"fmt"
	"net/http/httptest"
	"testing"

	"github.com/superd/superd/pkg/rpc"
)

// benchBackend answers what the page reads; other methods panic.
type benchBackend struct {
	rpc.Backend
	procs []rpc.ProcessInfo
}

func (f *benchBackend) Identification() string { return "bench" }
func (f *benchBackend) State() rpc.State       { return rpc.State{Code: 1, Name: "RUNNING"} }
func (f *benchBackend) AllProcessInfo(context.Context) ([]rpc.ProcessInfo, error) {
	return append([]rpc.ProcessInfo(nil), f.procs...), nil
}

// BenchmarkIndex1000 renders the dashboard of 1000 processes (10
// groups of 100), as a GET / does.
func BenchmarkIndex1000(b *testing.B) {
	be := &benchBackend{}
	for i := range 1000 {
		g := fmt.Sprintf("g%d", i/100)
		be.procs = append(be.procs, rpc.ProcessInfo{Name: fmt.Sprintf("p%04d", i), Group: g, State: 20, StateName: "RUNNING",
			PID: 10000 + i, Start: 1700000000, Now: 1700000100, Description: fmt.Sprintf("pid %d, uptime 0:01:40", 10000+i)})
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	h := New(ctx, Options{Backend: be, NoMetrics: true})
	b.ReportAllocs()
	var size int
	for b.Loop() {
		w := httptest.NewRecorder()
		h.ServeHTTP(w, httptest.NewRequest("GET", "/", nil))
		size = w.Body.Len()
	}
	b.ReportMetric(float64(size), "bytes/page")
}
