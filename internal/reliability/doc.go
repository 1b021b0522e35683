// Package reliability holds the reliability and security suite of
// issue 13 (docs/RELIABILITY.md): tests that try hard to break a real
// superd binary (crash recovery after SIGKILL, kill storms, hostile
// children, a full disk, abusive API clients, superd as PID 1). It has
// no code of its own; TestMain builds superd once (with -race under
// -race), and each test runs its own superd in a temp dir, in parallel
// where they do not interfere. Being its own test binary, it runs beside
// internal/daemon's tests and has its own time budget.
package reliability
