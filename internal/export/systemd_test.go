package export

import (
	"os/exec"
	"testing"
)

func TestSystemdGolden(t *testing.T) {
	goldenExport(t, "systemd", Systemd, Options{}, func(t *testing.T, res *Result) {
		if _, err := exec.LookPath("systemd-analyze"); err != nil {
			return
		}
		if msg, err := Check("systemd", res.Files); err != nil {
			t.Errorf("%v\n%s", err, msg)
		}
	})
}
