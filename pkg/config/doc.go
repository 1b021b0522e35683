// Package config reads supervisord configuration files exactly as
// supervisord 4.2.5 does and turns them into a typed Config.
//
// It owns: the ini reader (ini.go, a reimplementation of Python's
// RawConfigParser as supervisord configures it, with line numbers),
// Python %-interpolation (pyfmt.go), shlex splitting (shlex.go), the
// value validators with supervisord's error texts (values.go), section
// processing with [include] and numprocs expansion (load.go), config
// discovery and the built-in default (defaults.go), superd's [job:x]
// sections and [supervisord] statedir=/sendmail= (job.go),
// [fcgi-program:x] sockets as supervisord parses them (socket.go),
// superd's listen= socket activation options and their collision check
// (listen.go), Diff and
// DiffJobs for reread/update (diff.go, job.go) and the JSON form for `superd config`
// (json.go).
//
// Concurrency: none. Load/Parse are pure functions of the files, the
// environment and the passwd database; they start no goroutines and
// the returned *Config is not modified afterwards, so it may be shared
// read-only between goroutines.
//
// Errors: every problem of a load is collected (errors.Join of *Error,
// each naming file:line, section, option and value, and keeping
// supervisord's message text). Options supervisord silently ignores
// produce Config.Warnings with the closest known option name.
//
// Tests compare with supervisord itself wherever the python supervisor
// package is installed: testdata/refdump.py prints what
// supervisor.options.ServerOptions (and ClientOptions) make of a file in
// our JSON shape; it is run over testdata/corpus (real-world files), the
// golden files in testdata/golden, and random files from
// testdata/rndgen.py; testdata/pieces.py checks the building blocks
// (ini reader, %-format, shlex, value types) on random inputs.
package config
