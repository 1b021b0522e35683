package events

import (
	"strconv"
	"strings"
	"unicode/utf8"
)

// Payload returns supervisord 4.2.5's payload text for e (events.py),
// the part an event listener reads after the header line. Process data
// that is not valid UTF-8 becomes "Undecodable: b'...'" (Python's repr
// of the bytes), as supervisord renders it.
func (e Event) Payload() string {
	var b strings.Builder
	switch {
	case e.Type.Is(ProcessState):
		b.WriteString("processname:" + e.Process + " groupname:" + e.Group + " from_state:" + e.FromState)
		switch e.Type {
		case ProcessStateStarting, ProcessStateBackoff:
			b.WriteString(" tries:" + strconv.Itoa(e.Tries))
		case ProcessStateExited:
			exp := "0"
			if e.Expected {
				exp = "1"
			}
			b.WriteString(" expected:" + exp + " pid:" + strconv.Itoa(e.PID))
		case ProcessStateRunning, ProcessStateStopping, ProcessStateStopped:
			b.WriteString(" pid:" + strconv.Itoa(e.PID))
		}
	case e.Type.Is(ProcessLog):
		channel := e.Channel
		if channel == "" {
			switch e.Type {
			case ProcessLogStdout:
				channel = "stdout"
			case ProcessLogStderr:
				channel = "stderr"
			}
		}
		b.WriteString("processname:" + e.Process + " groupname:" + e.Group + " pid:" + strconv.Itoa(e.PID) +
			" channel:" + channel + "\n" + decodeData(e.Data))
	case e.Type.Is(ProcessCommunication):
		b.WriteString("processname:" + e.Process + " groupname:" + e.Group + " pid:" + strconv.Itoa(e.PID) +
			"\n" + decodeData(e.Data))
	case e.Type == RemoteCommunication:
		// The data arrives as an XML-RPC string, so it is always text.
		b.WriteString("type:" + e.RemoteType + "\n" + string(e.Data))
	case e.Type.Is(Tick):
		b.WriteString("when:" + strconv.FormatInt(e.When, 10))
	case e.Type.Is(ProcessGroup):
		b.WriteString("groupname:" + e.Group + "\n")
	case e.Type == SuperdJobChanged:
		b.WriteString("jobname:" + e.Job + " change:" + e.Reason)
	case e.Type.Is(SuperdJob):
		b.WriteString("jobname:" + e.Job + " trigger:" + e.Trigger + " pid:" + strconv.Itoa(e.PID))
		switch e.Type {
		case SuperdJobFinished:
			b.WriteString(" result:" + e.Result + " exitstatus:" + strconv.Itoa(e.ExitStatus))
		case SuperdJobSkipped:
			b.WriteString(" reason:" + strconv.Quote(e.Reason))
		}
	}
	return b.String()
}

// decodeData is supervisord's as_string with its fallback: valid UTF-8
// stays as it is, anything else becomes "Undecodable: " + repr(bytes).
func decodeData(data []byte) string {
	if utf8.Valid(data) {
		return string(data)
	}
	return "Undecodable: " + PyBytesRepr(data)
}

// PyBytesRepr returns Python 3's repr() of a bytes value: b'...' (or
// b"..." when the data holds a single quote and no double quote).
func PyBytesRepr(data []byte) string {
	quote := byte('\'')
	if strings.IndexByte(string(data), '\'') >= 0 && strings.IndexByte(string(data), '"') < 0 {
		quote = '"'
	}
	var b strings.Builder
	b.WriteByte('b')
	b.WriteByte(quote)
	const hex = "0123456789abcdef"
	for _, c := range data {
		switch {
		case c == quote || c == '\\':
			b.WriteByte('\\')
			b.WriteByte(c)
		case c == '\t':
			b.WriteString(`\t`)
		case c == '\n':
			b.WriteString(`\n`)
		case c == '\r':
			b.WriteString(`\r`)
		case c < ' ' || c >= 0x7f:
			b.WriteString(`\x`)
			b.WriteByte(hex[c>>4])
			b.WriteByte(hex[c&0xf])
		default:
			b.WriteByte(c)
		}
	}
	b.WriteByte(quote)
	return b.String()
}

// Envelope returns the bytes supervisord writes to a listener's stdin
// for one event: the header line then the payload. len counts Unicode
// code points, as Python's len(str) does, because Python listeners read
// the payload with stdin.read(len) in text mode.
func Envelope(identifier string, serial uint64, pool string, poolSerial uint64, typ Type, payload string) []byte {
	head := "ver:3.0 server:" + identifier +
		" serial:" + strconv.FormatUint(serial, 10) +
		" pool:" + pool +
		" poolserial:" + strconv.FormatUint(poolSerial, 10) +
		" eventname:" + string(typ) +
		" len:" + strconv.Itoa(utf8.RuneCountInString(payload)) + "\n"
	return []byte(head + payload)
}
