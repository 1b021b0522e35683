package state

// Top-level buckets, one per subsystem. Add yours here with a typed
// file next to jobs.go.
const (
	// BucketJobs holds the scheduler's state: "meta" (one JobRecord
	// per job, JSON, by name), "history" (a nested bucket per job: Runs
	// by big-endian sequence) and the "hold" key.
	BucketJobs = "jobs"
	// BucketChildren holds the live children of the running superd
	// (one Child per pid, JSON, by big-endian pid), for crash recovery
	// (children.go).
	BucketChildren = "children"
)
