// Package state owns superd's one embedded, transactional store: a
// bbolt database (state.db) in the state directory (`[supervisord]
// statedir=`, default DefaultDir). It keeps what must survive a restart,
// a SIGHUP and a reload: for scheduled jobs the schedule overrides,
// enabled flags, the hold and the run history; for crash recovery the
// children the running superd has spawned (children.go: one record per
// live child, so the next superd can stop what a killed one left);
// later subsystems (web) add their own buckets.
//
// # API
//
// Open opens (creating 0700) the directory and the database. Subsystems
// use typed helpers built on Store.Update and Store.View: a transaction
// hands out Buckets by name (Tx.Bucket, nested with Bucket.Bucket),
// whose values are bytes or JSON (Bucket.PutJSON, Bucket.GetJSON). To add
// a subsystem's bucket, pick a top-level name, add it to the list in
// buckets.go and write a typed file like jobs.go next to it; Update
// creates missing buckets on first use, so there is no migration step.
//
// A committed Update is on disk (fsync) before Update returns, so a crash
// loses nothing already committed; a crash mid-write loses only that
// transaction.
//
// # Concurrency
//
// A Store is safe for concurrent use. bbolt serialises writers (one
// Update at a time, the single writer) and lets readers run beside it on
// a snapshot. The package starts no goroutines; Close waits for open
// transactions to end.
package state
