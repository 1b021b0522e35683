package state

import (
	"encoding/binary"
	"errors"
	"fmt"
)

// Child is the record of one child process superd spawned, kept while
// the child runs so that a superd started after a crash (SIGKILL, OOM)
// can find and stop what the previous one left running.
//
// A pid alone does not identify a process: pids are recycled. Start is
// the child's start time (field 22 of /proc/PID/stat, clock ticks since
// boot) and Boot the kernel's boot id, so a record matches only the very
// process it was written for.
type Child struct {
	Name  string `json:"name"`
	Group string `json:"group"`
	PID   int    `json:"pid"`
	// PGID and Session are the child's process group (its own pid:
	// every child is a group leader) and session (superd's).
	PGID    int    `json:"pgid"`
	Session int    `json:"session"`
	Start   uint64 `json:"start"`
	Boot    string `json:"boot"`
	// SuperdPID and SuperdStart identify the superd that spawned it.
	SuperdPID   int    `json:"superd_pid"`
	SuperdStart uint64 `json:"superd_start"`
	// StopSignal and StopWaitSecs are the program's stopsignal and
	// stopwaitsecs when it was spawned.
	StopSignal   int `json:"stopsignal"`
	StopWaitSecs int `json:"stopwaitsecs"`
}

func childKey(pid int) []byte {
	var k [8]byte
	binary.BigEndian.PutUint64(k[:], uint64(pid))
	return k[:]
}

// UpdateChildren stores put and deletes the records of the pids in del,
// in that order, in one transaction (one commit, one fsync).
func (s *Store) UpdateChildren(put []Child, del []int) error {
	return s.Update(func(tx *Tx) error {
		b, err := tx.Bucket(BucketChildren)
		if err != nil {
			return err
		}
		for _, c := range put {
			if err := b.PutJSON(string(childKey(c.PID)), c); err != nil {
				return err
			}
		}
		for _, pid := range del {
			if err := b.Delete(childKey(pid)); err != nil {
				return err
			}
		}
		return nil
	})
}

// Children returns every child record, by pid. A record that does not
// decode is skipped and reported in the error, with the others returned.
func (s *Store) Children() ([]Child, error) {
	var out []Child
	var bad error
	err := s.View(func(tx *Tx) error {
		b, err := tx.Bucket(BucketChildren)
		if err != nil {
			return err
		}
		return b.ForEach(func(k, v []byte) error {
			var c Child
			if err := jsonUnmarshal(v, &c); err != nil {
				bad = errors.Join(bad, fmt.Errorf("child record %x: %w", k, err))
				return nil
			}
			out = append(out, c)
			return nil
		})
	})
	return out, errors.Join(err, bad)
}

// ClearChildren deletes every child record.
func (s *Store) ClearChildren() error {
	return s.Update(func(tx *Tx) error {
		if tx.tx.Bucket([]byte(BucketChildren)) == nil {
			return nil
		}
		return tx.tx.DeleteBucket([]byte(BucketChildren))
	})
}
