package rpc

import (
	"bytes"
	"regexp"
	"strings"
	"testing"
)

// memberNames lists the <name>s of an encoded response, in order.
func memberNames(t *testing.T, v any) string {
	t.Helper()
	var b bytes.Buffer
	if err := EncodeResponse(&b, v); err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, m := range regexp.MustCompile(`<name>([^<]*)</name>`).FindAllStringSubmatch(b.String(), -1) {
		names = append(names, m[1])
	}
	return strings.Join(names, " ")
}

// getProcessInfo and getAllConfigInfo write their members in the order
// supervisord 4.2.5 does (the insertion order of its dicts, which
// xmlrpc.client keeps), so that replies compare byte for byte.
func TestStructMemberOrderIsSupervisords(t *testing.T) {
	t.Parallel()
	// rpcinterface.py getProcessInfo: the dict, then info['description']
	want := "name group start stop now state statename spawnerr exitstatus logfile stdout_logfile stderr_logfile pid description"
	if got := memberNames(t, ProcessInfo{}); got != want {
		t.Errorf("getProcessInfo members:\n got %s\nwant %s", got, want)
	}
	// rpcinterface.py getAllConfigInfo's dict
	want = "autostart directory uid command exitcodes group group_prio inuse killasgroup name process_prio redirect_stderr startretries startsecs " +
		"stdout_capture_maxbytes stdout_events_enabled stdout_logfile stdout_logfile_backups stdout_logfile_maxbytes stdout_syslog stopsignal stopwaitsecs " +
		"stderr_capture_maxbytes stderr_events_enabled stderr_logfile stderr_logfile_backups stderr_logfile_maxbytes stderr_syslog serverurl"
	if got := memberNames(t, ConfigInfo{UID: "none"}); got != want {
		t.Errorf("getAllConfigInfo members:\n got %s\nwant %s", got, want)
	}
	if got, want := memberNames(t, Result{}), "name group status description"; got != want {
		t.Errorf("result members: got %s, want %s", got, want)
	}
}
