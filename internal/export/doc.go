// Package export turns a superd configuration into the files of other
// init systems and schedulers, and reads theirs back into a superd
// configuration (docs/EXPORT.md has the mapping, option by option).
//
// It owns:
//   - export: systemd units (systemd.go: a .service per process, a
//     .target per group), a /etc/cron.d file (cron.go), a logrotate
//     config (logrotate.go) and Kubernetes manifests (kube.go, built
//     from the typed k8s.io/api structs and written with
//     sigs.k8s.io/yaml);
//   - import: crontabs, systemd .service/.timer/.target units and
//     Procfiles into superd config text (import*.go), with everything
//     that does not map written as comments above its section;
//   - the quoting rules of each format (quote.go) and the systemd
//     dialect of gopkg.in/ini.v1 (unit.go);
//   - the verifiers behind --check (check.go: systemd-analyze verify,
//     logrotate -d, a strict decode of the YAML) and the `superd export`
//     and `superd import` command lines (cli.go).
//
// Concurrency: none. Every function is a pure function of its inputs
// (plus, for lookups, the filesystem and the passwd database); no
// goroutines are started, except by os/exec while a verifier runs,
// and those end with it.
package export
