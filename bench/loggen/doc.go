// Command loggen writes -lines fixed-length numbered lines (see
// bench/internal/lines) to stdout as fast as it can, in large writes,
// then exits 0. The benchmark runner uses it as a chatty child of the
// daemon under test, and with stdout redirected to a plain file as the
// physical limit of the disk.
//
// It starts no goroutines; it ends when every line is written.
package main
