//go:build !linux

package logfile

// SpliceFrom is not available outside Linux: handled is always false
// and the caller reads and Writes the data itself.
func (w *Writer) SpliceFrom(pipeFD, max int) (n int, err error, handled bool) {
	return 0, nil, false
}
