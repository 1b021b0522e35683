package state

import (
	"encoding/binary"
	"fmt"
	"time"
)

// HistoryLimit is how many runs per job the history keeps.
const HistoryLimit = 100

// RemovedRetention is how long a job that left the configuration keeps
// its record and history.
const RemovedRetention = 30 * 24 * time.Hour

// JobRecord is what persists of one job besides its history.
type JobRecord struct {
	// Override is a schedule spec ("interval 05:00") replacing the
	// config's; "" = none.
	Override string `json:"override,omitempty"`
	// Enabled overrides the config's enabled=; nil = as configured.
	Enabled *bool `json:"enabled,omitempty"`
	// LastFire is the last scheduled fire time the scheduler handled
	// (ran or skipped): catchup counts missed runs after it.
	LastFire time.Time `json:"last_fire,omitzero"`
	// Removed is when the job left the configuration (zero: present).
	Removed time.Time `json:"removed,omitzero"`
	// Runs and Failures count every run ever recorded.
	Runs     int `json:"runs,omitempty"`
	Failures int `json:"failures,omitempty"`
	// Running is the runs in progress when the record was written
	// (Start, Trigger, Due): a superd that finds some at start was
	// killed while they ran, and records them as interrupted.
	Running []Run `json:"running,omitempty"`
}

// Run is one entry of a job's history.
type Run struct {
	Start       time.Time `json:"start"`
	End         time.Time `json:"end,omitzero"`
	Result      string    `json:"result"` // ok failed skipped timeout interrupted
	ExitStatus  int       `json:"exitstatus"`
	Trigger     string    `json:"trigger"` // schedule manual catchup retry
	SkipReason  string    `json:"skip_reason,omitempty"`
	OutputBytes int64     `json:"output_bytes"`
	// Due is the fire time the run was for (zero for manual runs).
	Due time.Time `json:"due,omitzero"`
}

// Jobs is the scheduler's persisted state.
type Jobs struct {
	Held    bool
	Records map[string]JobRecord
}

// LoadJobs reads the hold flag and every job record.
func (s *Store) LoadJobs() (Jobs, error) {
	out := Jobs{Records: map[string]JobRecord{}}
	err := s.View(func(tx *Tx) error {
		b, err := tx.Bucket(BucketJobs)
		if err != nil {
			return err
		}
		out.Held = string(b.Get([]byte("hold"))) == "1"
		meta, err := b.Bucket("meta")
		if err != nil {
			return err
		}
		return meta.ForEach(func(k, _ []byte) error {
			var r JobRecord
			if _, err := meta.GetJSON(string(k), &r); err != nil {
				return err
			}
			out.Records[string(k)] = r
			return nil
		})
	})
	return out, err
}

// SetHold persists the hold flag.
func (s *Store) SetHold(held bool) error {
	v := "0"
	if held {
		v = "1"
	}
	return s.Update(func(tx *Tx) error {
		b, err := tx.Bucket(BucketJobs)
		if err != nil {
			return err
		}
		return b.Put([]byte("hold"), []byte(v))
	})
}

// PutJob stores the record of job name.
func (s *Store) PutJob(name string, r JobRecord) error {
	return s.Update(func(tx *Tx) error {
		meta, err := jobMeta(tx)
		if err != nil {
			return err
		}
		return meta.PutJSON(name, r)
	})
}

func jobMeta(tx *Tx) (*Bucket, error) {
	b, err := tx.Bucket(BucketJobs)
	if err != nil {
		return nil, err
	}
	return b.Bucket("meta")
}

func jobHistory(tx *Tx, name string) (*Bucket, error) {
	b, err := tx.Bucket(BucketJobs)
	if err != nil {
		return nil, err
	}
	h, err := b.Bucket("history")
	if err != nil {
		return nil, err
	}
	return h.Bucket(name)
}

// RecordRun appends run to name's history (dropping the oldest beyond
// HistoryLimit) and stores rec, in one transaction.
func (s *Store) RecordRun(name string, rec JobRecord, run Run) error {
	return s.WriteJobs([]JobWrite{{Name: name, Record: &rec, Run: &run}})
}

// JobWrite is one change of WriteJobs: a job's record, a run to append
// to its history, or (Name "") the hold flag.
type JobWrite struct {
	Name   string
	Record *JobRecord
	Run    *Run
	Hold   *bool
}

// WriteJobs applies ws in order in one transaction (one fsync), so a
// scheduler running many jobs writes once per batch, not once per run.
func (s *Store) WriteJobs(ws []JobWrite) error {
	if len(ws) == 0 {
		return nil
	}
	return s.Update(func(tx *Tx) error {
		for _, w := range ws {
			if w.Hold != nil {
				b, err := tx.Bucket(BucketJobs)
				if err != nil {
					return err
				}
				v := "0"
				if *w.Hold {
					v = "1"
				}
				if err := b.Put([]byte("hold"), []byte(v)); err != nil {
					return err
				}
			}
			if w.Name == "" {
				continue
			}
			if w.Record != nil {
				meta, err := jobMeta(tx)
				if err != nil {
					return err
				}
				if err := meta.PutJSON(w.Name, *w.Record); err != nil {
					return err
				}
			}
			if w.Run != nil {
				if err := appendRun(tx, w.Name, *w.Run); err != nil {
					return err
				}
			}
		}
		return nil
	})
}

func appendRun(tx *Tx, name string, run Run) error {
	h, err := jobHistory(tx, name)
	if err != nil {
		return err
	}
	seq, err := h.NextSequence()
	if err != nil {
		return err
	}
	var k [8]byte
	binary.BigEndian.PutUint64(k[:], seq)
	if err := h.PutJSON(string(k[:]), run); err != nil {
		return err
	}
	var old [][]byte
	n := h.Len()
	c := h.Cursor()
	for k, _ := c.First(); k != nil && n-len(old) > HistoryLimit; k, _ = c.Next() {
		old = append(old, append([]byte(nil), k...))
	}
	for _, k := range old {
		if err := h.Delete(k); err != nil {
			return err
		}
	}
	return nil
}

// History returns up to limit runs of name, newest first (limit <= 0:
// all kept).
func (s *Store) History(name string, limit int) ([]Run, error) {
	var out []Run
	err := s.View(func(tx *Tx) error {
		h, err := jobHistory(tx, name)
		if err != nil {
			return err
		}
		c := h.Cursor()
		for k, v := c.Last(); k != nil && (limit <= 0 || len(out) < limit); k, v = c.Prev() {
			var r Run
			if err := jsonUnmarshal(v, &r); err != nil {
				return fmt.Errorf("history of %s: %w", name, err)
			}
			out = append(out, r)
		}
		return nil
	})
	return out, err
}

// PruneJobs marks the records of jobs not in present as removed (as of
// now) and deletes the records and histories of jobs removed for longer
// than RemovedRetention. A job back in present is unmarked.
func (s *Store) PruneJobs(present map[string]bool, now time.Time) error {
	return s.Update(func(tx *Tx) error {
		meta, err := jobMeta(tx)
		if err != nil {
			return err
		}
		b, _ := tx.Bucket(BucketJobs)
		hist, err := b.Bucket("history")
		if err != nil {
			return err
		}
		names := map[string]bool{}
		meta.ForEach(func(k, _ []byte) error { names[string(k)] = true; return nil })
		hist.ForEach(func(k, _ []byte) error { names[string(k)] = true; return nil })
		for name := range names {
			var r JobRecord
			if _, err := meta.GetJSON(name, &r); err != nil {
				return err
			}
			switch {
			case present[name]:
				if r.Removed.IsZero() {
					continue
				}
				r.Removed = time.Time{}
			case r.Removed.IsZero():
				r.Removed = now
			case now.Sub(r.Removed) > RemovedRetention:
				if err := meta.Delete([]byte(name)); err != nil {
					return err
				}
				if err := hist.DeleteBucket(name); err != nil {
					return err
				}
				continue
			default:
				continue
			}
			if err := meta.PutJSON(name, r); err != nil {
				return err
			}
		}
		return nil
	})
}
