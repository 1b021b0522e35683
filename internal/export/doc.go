// Package export turns a superd configuration into the files of other
// init systems and schedulers, and reads theirs back into a superd
// configuration (docs/EXPORT.md has the mapping, option by option).
//
// It owns:
//   - export: systemd units (systemd.go: a .service per process, a
//     .target per group, .socket units for listen= and fcgi-program
//     sockets, a .service + .timer per job, with the schedule
//     translation in calendar.go), a /etc/cron.d file (cron.go), a
//     logrotate config (logrotate.go) and Kubernetes manifests
//     (kube.go: typed structs with k8s.io/api's field names, in
//     kube_types.go, written with sigs.k8s.io/yaml; the tests decode
//     the output strictly into k8s.io/api's own types);
//   - import: crontabs, systemd .service/.timer/.target/.socket units
//     (with drop-ins and template instances) and Procfiles into superd
//     config text (import*.go), with everything that does not map
//     written as comments above its section;
//   - the quoting rules of each format (quote.go) and the systemd
//     dialect of gopkg.in/ini.v1 (unit.go);
//   - the verifiers behind --check (check.go: systemd-analyze verify,
//     logrotate -d, a strict decode of the YAML) and the `superd export`
//     and `superd import` command lines (cli.go).
//
// Every generated file says what it came from, and lists what did not
// map; whole sections that cannot be exported come back in
// Result.Notes, which the command prints on stderr.
//
// Concurrency: none. Every function is a pure function of its inputs
// (plus, for lookups, the filesystem and the passwd database); no
// goroutines are started, except by os/exec while a verifier runs,
// and those end with it. unit.go's init switches off gopkg.in/ini.v1's
// package-wide pretty printing (spaces around "="), which systemd
// units do not have; nothing else in superd uses that library.
package export
