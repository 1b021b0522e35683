// Package lines defines the log-throughput line format shared by the
// generator (bench/loggen) and the runner's verifier: fixed-length lines
// "SSSSSSSSSS <payload>\n" where S is a 10-digit zero-padded sequence
// number and the payload is a function of the sequence number, so a
// missing, duplicated, reordered or corrupted line can be detected.
//
// The package has no goroutines and no state beyond what callers hold.
//
// It is pure: no goroutines, no state.
package lines
