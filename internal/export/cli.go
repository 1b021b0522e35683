package export

import (
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"

	"github.com/superd/superd/pkg/config"
)

// Env is what the command lines need from superd's main.
type Env struct {
	Stdout, Stderr io.Writer
	// Load loads the configuration named by -c; "" means the file
	// superd itself would use (or the built-in default).
	Load func(file string) (*config.Config, error)
}

const exportUsage = `Usage: superd export FORMAT [-c FILE] [-o PATH] [--check] [options]

FORMAT:
  systemd      a .service per program process, a .target per group, a
               .service + .timer pair per job (-o DIR, else all on stdout)
  cron         a /etc/cron.d file for the jobs cron can express
  logrotate    a logrotate config for every program log file
  kubernetes   Deployments and CronJobs (needs --image)

Options:
  -c, --configuration FILE  the superd configuration (searched if not given)
  -o, --output PATH         write into PATH (a directory for systemd; for the
                            other formats a file, or a directory to put
                            "superd" in); default: stdout
  --prefix P                put P before every unit or object name
  --check                   verify the output with systemd-analyze verify,
                            logrotate -d, or a strict decode (Kubernetes)
  --image IMAGE             container image (kubernetes)
  --namespace NS            namespace of every object (kubernetes)
`

const importUsage = `Usage: superd import FORMAT [--dropin] FILE...

FORMAT:
  cron      a user crontab or a cron.d file (--system: it has a user column;
            automatic for /etc/crontab and /etc/cron.d/*) -> [job:x] sections
  systemd   .service -> [program:x], .timer -> [job:x], .target -> [group:x],
            .socket -> listen= (or the socket= of an [fcgi-program:x])
  procfile  a Procfile (foreman, Heroku, overmind) -> [program:x] sections

The superd configuration is written on stdout; what does not map is
written as comments above its section. --dropin leaves out the
[supervisord] section (for a file under conf.d/).
`

// flagSet is the small getopt both commands share: -x VALUE, --xx VALUE,
// --xx=VALUE, and booleans; positional arguments may come anywhere.
type flagSet struct {
	values map[string]*string
	bools  map[string]*bool
	alias  map[string]string
	rest   []string
}

func newFlags() *flagSet {
	return &flagSet{values: map[string]*string{}, bools: map[string]*bool{}, alias: map[string]string{}}
}

func (f *flagSet) str(names ...string) *string {
	v := new(string)
	for _, n := range names {
		f.values[n] = v
	}
	return v
}

func (f *flagSet) boolean(names ...string) *bool {
	v := new(bool)
	for _, n := range names {
		f.bools[n] = v
	}
	return v
}

func (f *flagSet) parse(args []string) error {
	for i := 0; i < len(args); i++ {
		a := args[i]
		if a == "--" {
			f.rest = append(f.rest, args[i+1:]...)
			return nil
		}
		if !strings.HasPrefix(a, "-") || a == "-" {
			f.rest = append(f.rest, a)
			continue
		}
		name, val, hasVal := strings.Cut(strings.TrimLeft(a, "-"), "=")
		if b, ok := f.bools[name]; ok && !hasVal {
			*b = true
			continue
		}
		v, ok := f.values[name]
		if !ok {
			return fmt.Errorf("unknown option %s", a)
		}
		if !hasVal {
			if i+1 >= len(args) {
				return fmt.Errorf("option %s requires an argument", a)
			}
			i++
			val = args[i]
		}
		*v = val
	}
	return nil
}

// Main runs `superd export ...` (cmd "export") or `superd import ...`
// (cmd "import") and returns the exit status: 0, 1 for a failure (a
// config that does not load, a file that cannot be read or written, a
// verifier that complains), 2 for a usage error.
func Main(cmd string, args []string, env Env) int {
	usage := exportUsage
	if cmd == "import" {
		usage = importUsage
	}
	fail := func(code int, format string, a ...any) int {
		fmt.Fprintf(env.Stderr, "Error: "+format+"\n", a...)
		if code == 2 {
			fmt.Fprint(env.Stderr, usage)
		}
		return code
	}
	fs := newFlags()
	conf := fs.str("c", "configuration")
	out := fs.str("o", "output")
	prefix := fs.str("prefix")
	image := fs.str("image")
	namespace := fs.str("namespace")
	check := fs.boolean("check")
	help := fs.boolean("h", "help")
	dropin := fs.boolean("dropin")
	system := fs.boolean("system")
	if err := fs.parse(args); err != nil {
		return fail(2, "%v", err)
	}
	if *help {
		fmt.Fprint(env.Stdout, usage)
		return 0
	}
	if len(fs.rest) == 0 {
		return fail(2, "%s: which format?", cmd)
	}
	format := fs.rest[0]
	if cmd == "import" {
		return importMain(format, fs.rest[1:], importOptions{Dropin: *dropin, System: *system}, env, fail)
	}
	if len(fs.rest) > 1 {
		return fail(2, "export %s: unexpected argument %q", format, fs.rest[1])
	}
	if p := *prefix; p != "" && (unitNameBad.MatchString(p) || strings.Contains(p, "..")) {
		// it goes into unit and file names: a '/' would write outside -o
		return fail(2, "export %s: --prefix %q: use letters, digits and ':', '_', '.', '-' only", format, p)
	}
	opt := Options{Prefix: *prefix, Image: *image, Namespace: *namespace}
	var export func(*config.Config, Options) (*Result, error)
	oneFile := true
	switch format {
	case "systemd":
		export, oneFile = Systemd, false
	case "cron":
		export = Cron
	case "logrotate":
		export = Logrotate
	case "kubernetes", "k8s":
		if opt.Image == "" {
			return fail(2, "export kubernetes: --image is required")
		}
		export = Kubernetes
	default:
		return fail(2, "export: unknown format %q (systemd, cron, logrotate, kubernetes)", format)
	}
	cfg, err := env.Load(*conf)
	if err != nil {
		return fail(1, "%v", err)
	}
	res, err := export(cfg, opt)
	if err != nil {
		return fail(1, "export %s: %v", format, err)
	}
	for _, n := range res.Notes {
		fmt.Fprintln(env.Stderr, "note: "+n)
	}
	if err := writeFiles(res.Files, *out, oneFile, env.Stdout); err != nil {
		return fail(1, "%v", err)
	}
	if *check {
		msg, err := Check(format, res.Files)
		if msg != "" {
			fmt.Fprint(env.Stderr, msg)
		}
		if errors.Is(err, ErrNoVerifier) {
			fmt.Fprintf(env.Stderr, "check: %v; output not verified\n", err)
			return 0
		}
		if err != nil {
			return fail(1, "check: %v", err)
		}
		fmt.Fprintf(env.Stderr, "check: %d file(s) verified\n", len(res.Files))
	}
	return 0
}

// writeFiles writes the files into dir out, or (one-file formats) to
// out itself when it is not a directory, or to stdout.
func writeFiles(files []File, out string, oneFile bool, stdout io.Writer) error {
	if out == "" {
		for _, f := range files {
			if !oneFile {
				fmt.Fprintf(stdout, "# ==> %s <==\n", f.Name)
			}
			if _, err := stdout.Write(f.Data); err != nil {
				return err
			}
			if !oneFile {
				fmt.Fprintln(stdout)
			}
		}
		return nil
	}
	st, err := os.Stat(out)
	if oneFile && (err != nil || !st.IsDir()) {
		if len(files) != 1 {
			return fmt.Errorf("-o %s: expected one file, have %d", out, len(files))
		}
		return os.WriteFile(out, files[0].Data, 0o644)
	}
	if err != nil {
		if err := os.MkdirAll(out, 0o755); err != nil {
			return err
		}
	}
	for _, f := range files {
		if err := os.WriteFile(filepath.Join(out, f.Name), f.Data, 0o644); err != nil {
			return err
		}
	}
	return nil
}
