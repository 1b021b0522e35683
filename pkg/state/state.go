package state

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"time"

	bolt "go.etcd.io/bbolt"
	berrors "go.etcd.io/bbolt/errors"
)

// FileName is the database's name inside the state directory.
const FileName = "state.db"

// ErrLocked is returned by Open when another process holds the
// database (another superd with the same statedir).
var ErrLocked = errors.New("state database is in use by another process")

// DefaultDir is the default state directory: /var/lib/superd for root,
// $XDG_STATE_HOME/superd (or ~/.local/state/superd) for other users.
func DefaultDir() string {
	if os.Geteuid() == 0 {
		return "/var/lib/superd"
	}
	if d := os.Getenv("XDG_STATE_HOME"); filepath.IsAbs(d) {
		return filepath.Join(d, "superd")
	}
	if h, err := os.UserHomeDir(); err == nil && h != "" {
		return filepath.Join(h, ".local", "state", "superd")
	}
	return filepath.Join(os.TempDir(), "superd-"+strconv.Itoa(os.Geteuid())+"-state")
}

// Store is the open database.
type Store struct {
	db   *bolt.DB
	path string
}

// Open creates dir (0700) if needed and opens dir/state.db. It waits up
// to a second for another process's lock, then fails with ErrLocked.
func Open(dir string) (*Store, error) {
	if dir == "" {
		dir = DefaultDir()
	}
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, fmt.Errorf("state directory: %w", err)
	}
	path := filepath.Join(dir, FileName)
	db, err := bolt.Open(path, 0o600, &bolt.Options{Timeout: time.Second})
	if err != nil {
		if errors.Is(err, berrors.ErrTimeout) {
			return nil, fmt.Errorf("%s: %w", path, ErrLocked)
		}
		return nil, fmt.Errorf("state database %s: %w", path, err)
	}
	return &Store{db: db, path: path}, nil
}

// Path is the database file.
func (s *Store) Path() string { return s.path }

// Close closes the database.
func (s *Store) Close() error { return s.db.Close() }

// Update runs fn in a read-write transaction, committed (and synced)
// when fn returns nil, rolled back otherwise.
func (s *Store) Update(fn func(*Tx) error) error {
	return s.db.Update(func(tx *bolt.Tx) error { return fn(&Tx{tx: tx}) })
}

// View runs fn in a read-only transaction.
func (s *Store) View(fn func(*Tx) error) error {
	return s.db.View(func(tx *bolt.Tx) error { return fn(&Tx{tx: tx}) })
}

// Tx is a transaction.
type Tx struct{ tx *bolt.Tx }

// Writable reports whether this is an Update.
func (t *Tx) Writable() bool { return t.tx.Writable() }

// Bucket returns the top-level bucket name. In an Update a missing
// bucket is created; in a View it is an empty bucket whose reads find
// nothing.
func (t *Tx) Bucket(name string) (*Bucket, error) {
	b := t.tx.Bucket([]byte(name))
	if b == nil && t.tx.Writable() {
		var err error
		if b, err = t.tx.CreateBucket([]byte(name)); err != nil {
			return nil, fmt.Errorf("bucket %s: %w", name, err)
		}
	}
	return &Bucket{b: b, w: t.tx.Writable()}, nil
}

// Bucket is a set of keys and nested buckets.
type Bucket struct {
	b *bolt.Bucket // nil: absent (read-only transaction)
	w bool
}

// Bucket returns the nested bucket name, created in an Update.
func (b *Bucket) Bucket(name string) (*Bucket, error) {
	if b.b == nil {
		return &Bucket{}, nil
	}
	nb := b.b.Bucket([]byte(name))
	if nb == nil && b.w {
		var err error
		if nb, err = b.b.CreateBucket([]byte(name)); err != nil {
			return nil, fmt.Errorf("bucket %s: %w", name, err)
		}
	}
	return &Bucket{b: nb, w: b.w}, nil
}

// DeleteBucket removes the nested bucket name and all it holds.
func (b *Bucket) DeleteBucket(name string) error {
	if b.b == nil || b.b.Bucket([]byte(name)) == nil {
		return nil
	}
	return b.b.DeleteBucket([]byte(name))
}

// Get returns the value of key, nil when absent. The slice is only
// valid inside the transaction.
func (b *Bucket) Get(key []byte) []byte {
	if b.b == nil {
		return nil
	}
	return b.b.Get(key)
}

// Put sets key.
func (b *Bucket) Put(key, value []byte) error { return b.b.Put(key, value) }

// Delete removes key.
func (b *Bucket) Delete(key []byte) error {
	if b.b == nil {
		return nil
	}
	return b.b.Delete(key)
}

// GetJSON decodes the value of key into v; found is false when absent.
func (b *Bucket) GetJSON(key string, v any) (found bool, err error) {
	data := b.Get([]byte(key))
	if data == nil {
		return false, nil
	}
	if err := json.Unmarshal(data, v); err != nil {
		return true, fmt.Errorf("state %q: %w", key, err)
	}
	return true, nil
}

// PutJSON stores v as JSON under key.
func (b *Bucket) PutJSON(key string, v any) error {
	data, err := json.Marshal(v)
	if err != nil {
		return err
	}
	return b.Put([]byte(key), data)
}

// NextSequence returns the bucket's next autoincrement integer.
func (b *Bucket) NextSequence() (uint64, error) { return b.b.NextSequence() }

// ForEach calls fn for each key in order (nested buckets have a nil
// value). fn must not modify the bucket.
func (b *Bucket) ForEach(fn func(k, v []byte) error) error {
	if b.b == nil {
		return nil
	}
	return b.b.ForEach(fn)
}

// Len is the number of keys (nested buckets included).
func (b *Bucket) Len() int {
	if b.b == nil {
		return 0
	}
	n := 0
	c := b.b.Cursor()
	for k, _ := c.First(); k != nil; k, _ = c.Next() {
		n++
	}
	return n
}

// Cursor walks keys in order; see bbolt's Cursor.
func (b *Bucket) Cursor() *Cursor {
	if b.b == nil {
		return &Cursor{}
	}
	return &Cursor{c: b.b.Cursor()}
}

// Cursor iterates a bucket.
type Cursor struct{ c *bolt.Cursor }

// First, Last, Next, Prev move the cursor; a nil key is the end.
func (c *Cursor) First() (k, v []byte) {
	if c.c == nil {
		return nil, nil
	}
	return c.c.First()
}
func (c *Cursor) Last() (k, v []byte) {
	if c.c == nil {
		return nil, nil
	}
	return c.c.Last()
}
func (c *Cursor) Next() (k, v []byte) { return c.c.Next() }
func (c *Cursor) Prev() (k, v []byte) { return c.c.Prev() }

// Delete removes the key under the cursor.
func (c *Cursor) Delete() error { return c.c.Delete() }

func jsonUnmarshal(data []byte, v any) error { return json.Unmarshal(data, v) }
