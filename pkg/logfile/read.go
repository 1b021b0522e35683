package logfile

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"syscall"
)

// Read returns bytes of the file at path with supervisord's readLog
// semantics (options.readFile): offset>=0,length==0: offset to EOF;
// offset>=0,length>0: up to length bytes from offset; offset<0,length==0:
// the last -offset bytes (the whole file if shorter); anything else
// ErrBadArguments. An offset past EOF gives no data and no error.
//
// A missing file returns an error wrapping fs.ErrNotExist (NO_FILE),
// checked before the arguments as supervisord does; any other error
// means FAILED.
func Read(path string, offset, length int64) ([]byte, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("read log: %w", err)
	}
	defer f.Close()
	if offset < 0 {
		if length != 0 {
			return nil, ErrBadArguments
		}
		size, err := fileSize(f)
		if err != nil {
			return nil, err
		}
		return readAt(f, max(size+offset, 0), -offset, size)
	}
	if length < 0 {
		return nil, ErrBadArguments
	}
	size, err := fileSize(f)
	if err != nil {
		return nil, err
	}
	if length == 0 {
		return readAt(f, offset, max(size-offset, 0), size)
	}
	return readAt(f, offset, length, size)
}

// Tail implements supervisord's tailProcessLog (options.tailFile),
// quirks included: if size > offset+length it returns the last length
// bytes with overflow=true; otherwise, when offset+length goes past the
// end it returns the last length bytes too (from max(0, size-length),
// or nothing if offset is at or past the end), else length bytes from
// offset. newOffset is the file size. A missing file returns (nil, 0,
// false, nil) as the RPC method does; an unreadable one (nil, offset,
// false, nil) as tailFile does. supervisord never faults here, so err
// is always nil.
func Tail(path string, offset, length int64) (data []byte, newOffset int64, overflow bool, err error) {
	f, err := os.Open(path)
	if err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			return nil, 0, false, nil
		}
		return nil, offset, false, nil
	}
	defer f.Close()
	sz, err := fileSize(f)
	if err != nil {
		return nil, offset, false, nil
	}
	// A line-by-line port of tailFile.
	if sz > offset+length {
		overflow = true
		offset = sz - 1
	}
	if offset+length > sz {
		if offset > sz-1 {
			length = 0
		}
		offset = sz - length
	}
	if offset < 0 {
		offset = 0
	}
	if length < 0 {
		length = 0
	}
	if length > 0 {
		data, err = readAt(f, offset, length, sz)
		if err != nil {
			return nil, offset, false, nil
		}
	}
	return data, sz, overflow, nil
}

// fileSize is supervisord's f.seek(0, 2); f.tell(). A file that cannot
// seek fails, and so does a pipe or socket (behind /dev/stdout in a
// container, a FIFO) even where the kernel lets it seek: reading its
// bytes would take them from its real reader.
func fileSize(f *os.File) (int64, error) {
	fi, err := f.Stat()
	if err != nil {
		return 0, fmt.Errorf("read log: %w", err)
	}
	switch {
	case fi.Mode().IsRegular() || fi.IsDir():
		return fi.Size(), nil // a directory fails when read
	case fi.Mode()&(fs.ModeNamedPipe|fs.ModeSocket) != 0:
		return 0, fmt.Errorf("read log: %s: %w", f.Name(), syscall.ESPIPE)
	}
	size, err := f.Seek(0, io.SeekEnd) // /dev/null: 0; a tty: ESPIPE
	if err != nil {
		return 0, fmt.Errorf("read log: %w", err)
	}
	return size, nil
}

// readAt reads up to n bytes at off. size (the file size when looked
// at) bounds the allocation; bytes appended since are not read.
func readAt(f *os.File, off, n, size int64) ([]byte, error) {
	n = min(n, size-off)
	if n <= 0 {
		return []byte{}, nil
	}
	buf := make([]byte, n)
	got, err := f.ReadAt(buf, off)
	if err != nil && !errors.Is(err, io.EOF) {
		return nil, fmt.Errorf("read log: %w", err)
	}
	return buf[:got], nil
}
