package logfile

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"strconv"
)

// Resume follows the log at path as FollowFrom does, from a position a
// client got earlier: offset bytes into the log's stream counted from
// the start of the file with key (FileKey). That file may since have
// been rotated to path.N; the rest of it and the newer rotated files
// are then written first, and the offset may reach past its end into
// the newer files (a client that counts the bytes it got needs not know
// where rotations happened). With key "" offset is an offset in the
// current file, as for FollowFrom (negative: its last FollowHead
// bytes). A key not found among path, path.1, path.2, ... (rotated
// away, cleared, a new file after a restart) starts at the beginning
// of the current file.
//
// start, if not nil, is called before anything is written with where
// the stream begins (the key of that file and the offset in it), so an
// HTTP handler can put it in a header; a missing log is reported
// before start is called, wrapping fs.ErrNotExist.
func Resume(ctx context.Context, path, key string, offset int64, w io.Writer, flush func(), start func(key string, offset int64)) error {
	for try := 0; ; try++ {
		err := resume(ctx, path, key, offset, w, flush, start)
		if err != errRotatedMeanwhile || try == 3 {
			return err
		}
	}
}

var errRotatedMeanwhile = errors.New("log rotated while resuming")

type openLog struct {
	f  *os.File
	fi os.FileInfo
}

func resume(ctx context.Context, path, key string, offset int64, w io.Writer, flush func(), start func(string, int64)) error {
	// Open the log and its rotated files up to the one with key, newest
	// first, so that a rotation now does not change what is sent.
	var files []openLog
	defer func() {
		for _, o := range files {
			if o.f != nil {
				o.f.Close()
			}
		}
	}()
	found := -1
	for i := 0; ; i++ {
		p := path
		if i > 0 {
			p = path + "." + strconv.Itoa(i)
		}
		f, err := os.Open(p)
		if err != nil {
			if i == 0 {
				return fmt.Errorf("follow log: %w", err)
			}
			break
		}
		fi, err := f.Stat()
		if err != nil {
			f.Close()
			return fmt.Errorf("follow log: %w", err)
		}
		files = append(files, openLog{f, fi})
		if key == "" || FileKey(fi) == key {
			found = i
			break
		}
	}
	// a rotation between two opens shows as a file seen twice
	for i := 1; i < len(files); i++ {
		if FileKey(files[i].fi) == FileKey(files[i-1].fi) {
			return errRotatedMeanwhile
		}
	}
	i, pos := found, offset
	switch {
	case found < 0:
		i, pos = 0, 0
	case key != "":
		for i > 0 && pos >= files[i].fi.Size() {
			pos -= files[i].fi.Size()
			i--
		}
		pos = max(pos, 0)
	}
	if i == 0 {
		cur := files[0]
		files[0].f = nil // followOpen closes it
		if start != nil {
			s := pos
			switch {
			case s < 0:
				s = max(cur.fi.Size()-FollowHead, 0)
			case s > cur.fi.Size():
				s = 0
			}
			start(FileKey(cur.fi), s)
		}
		return followOpen(ctx, path, cur.f, cur.fi, pos, w, flush, nil)
	}
	if start != nil {
		start(FileKey(files[i].fi), pos)
	}
	pw, _ := w.(PositionWriter)
	for j := i; j > 0; j-- {
		size := files[j].fi.Size()
		if pos < size {
			if _, err := io.Copy(w, io.NewSectionReader(files[j].f, pos, size-pos)); err != nil {
				return err
			}
		}
		if pw != nil {
			if err := pw.FollowedTo(files[j].fi, size); err != nil {
				return err
			}
		}
		pos = 0
	}
	if flush != nil {
		flush()
	}
	cur := files[0]
	files[0].f = nil
	return followOpen(ctx, path, cur.f, cur.fi, 0, w, flush, nil)
}
