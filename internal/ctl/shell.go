package ctl

import (
	"bufio"
	"context"
	"errors"
	"io"
	"os"
	"os/signal"
	"strings"

	"github.com/peterh/liner"
	"golang.org/x/sys/unix"
)

// errInterrupted is returned by a lineReader when the user types
// Ctrl-C at a prompt.
var errInterrupted = errors.New("interrupted")

// lineReader reads command lines and answers to prompts.
type lineReader interface {
	// ReadLine prints prompt and returns the next line without its
	// newline; io.EOF at end of input.
	ReadLine(prompt string) (string, error)
	ReadPassword(prompt string) (string, error)
	// AddHistory records a command line (no-op without history).
	AddHistory(line string)
	Close() error
}

// plainReader reads lines from a non-terminal stdin; prompts go to
// stdout as Python's input() writes them, the password prompt to
// stderr as getpass's fallback does.
type plainReader struct {
	r         *bufio.Reader
	out, errw io.Writer
}

func (p *plainReader) ReadLine(prompt string) (string, error) {
	io.WriteString(p.out, prompt)
	line, err := p.r.ReadString('\n')
	if err != nil && (line == "" || !errors.Is(err, io.EOF)) {
		return "", err
	}
	return strings.TrimRight(line, "\r\n"), nil
}

func (p *plainReader) ReadPassword(prompt string) (string, error) {
	w := p.errw
	if w == nil {
		w = p.out
	}
	pr := &plainReader{r: p.r, out: w}
	return pr.ReadLine(prompt)
}
func (p *plainReader) AddHistory(string) {}
func (p *plainReader) Close() error      { return nil }

// linerReader is the terminal line editor: history and completion.
type linerReader struct {
	st          *liner.State
	historyFile string
}

func (l *linerReader) ReadLine(prompt string) (string, error) {
	s, err := l.st.Prompt(prompt)
	if errors.Is(err, liner.ErrPromptAborted) {
		return "", errInterrupted
	}
	return s, err
}

func (l *linerReader) ReadPassword(prompt string) (string, error) {
	s, err := l.st.PasswordPrompt(prompt)
	if errors.Is(err, liner.ErrPromptAborted) {
		return "", errInterrupted
	}
	return s, err
}

func (l *linerReader) AddHistory(line string) { l.st.AppendHistory(line) }

func (l *linerReader) Close() error {
	if l.historyFile != "" {
		if f, err := os.Create(l.historyFile); err == nil {
			l.st.WriteHistory(f)
			f.Close()
		}
	}
	return l.st.Close()
}

// isTerminal reports whether f is a terminal.
func isTerminal(f any) bool {
	file, ok := f.(*os.File)
	if !ok {
		return false
	}
	_, err := unix.IoctlGetTermios(int(file.Fd()), unix.TCGETS)
	return err == nil
}

// newLineReader returns a liner editor when stdin and stdout are the
// process's terminal, else a plain line reader.
func newLineReader(stdin io.Reader, stdout, stderr io.Writer, historyFile string, complete liner.WordCompleter) lineReader {
	if stdin == io.Reader(os.Stdin) && stdout == io.Writer(os.Stdout) && isTerminal(os.Stdin) && isTerminal(os.Stdout) && liner.TerminalSupported() {
		st := liner.NewLiner()
		st.SetCtrlCAborts(true)
		st.SetTabCompletionStyle(liner.TabPrints)
		st.SetWordCompleter(complete)
		if historyFile != "" {
			if f, err := os.Open(historyFile); err == nil {
				st.ReadHistory(f)
				f.Close()
			}
		}
		return &linerReader{st: st, historyFile: historyFile}
	}
	return &plainReader{r: bufio.NewReader(stdin), out: stdout, errw: stderr}
}

// cmdloop is the interactive shell: status first, then one command per
// line until EOF, quit, exit or Ctrl-C at the prompt. Ctrl-C while a
// command runs cancels that command.
func (c *controller) cmdloop(ctx context.Context) {
	sigs := make(chan os.Signal, 1)
	signal.Notify(sigs, os.Interrupt)
	defer signal.Stop(sigs)
	queue := []string{"status"}
	for {
		var line string
		if len(queue) > 0 {
			line, queue = queue[0], queue[1:]
		} else {
			// Read in a goroutine so that SIGINT (a plain reader on a
			// terminal) ends the shell as KeyboardInterrupt does.
			lines := make(chan lineResult, 1)
			go func() {
				l, err := c.in.ReadLine(c.opts.prompt + "> ")
				lines <- lineResult{l, err}
			}()
			var lr lineResult
			select {
			case <-sigs:
				c.output("")
				return
			case lr = <-lines:
			}
			switch {
			case errors.Is(lr.err, errInterrupted):
				c.output("")
				return
			case lr.err != nil:
				line = "EOF"
			default:
				line = lr.line
				if strings.TrimSpace(line) != "" {
					c.in.AddHistory(line)
				}
			}
		}
		if c.runCancelable(ctx, line, sigs) {
			return
		}
	}
}

// runCancelable runs one command; SIGINT cancels it.
func (c *controller) runCancelable(ctx context.Context, line string, sigs <-chan os.Signal) bool {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	done := make(chan struct{})
	defer close(done)
	go func() {
		select {
		case <-sigs:
			cancel()
		case <-done:
		}
	}()
	return c.onecmd(ctx, line)
}

// complete is supervisorctl's completer, word-based: ':', '*' and '-'
// are part of words.
func (c *controller) complete(line string, pos int) (head string, completions []string, tail string) {
	before := line[:pos]
	start := strings.LastIndexAny(before, " \t") + 1
	head, text, tail := before[:start], before[start:], line[pos:]
	var matches []string
	words := strings.Fields(before)
	switch {
	case strings.TrimSpace(before) == "":
		matches = c.completeActions(text)
	case len(words) == 1 && !strings.HasSuffix(before, " "):
		matches = c.completeActions(text)
	default:
		switch words[0] {
		case "help":
			matches = c.completeActions(text)
		case "add", "remove", "update":
			matches = c.completeGroups(text)
		case "clear", "fg", "pid", "restart", "signal", "start", "status", "stop", "tail":
			matches = c.completeProcesses(text)
		}
	}
	return head, matches, tail
}

func (c *controller) completeActions(text string) []string {
	var out []string
	for _, a := range vocab() {
		if strings.HasPrefix(a, text) {
			out = append(out, a+" ")
		}
	}
	return out
}

func (c *controller) completeInfos() {
	if c.completeInfo == nil {
		infos, err := c.client.GetAllProcessInfo(context.Background())
		if err == nil {
			c.completeInfo = infos
		}
	}
}

func (c *controller) completeGroups(text string) []string {
	c.completeInfos()
	var groups []string
	seen := map[string]bool{}
	for _, info := range c.completeInfo {
		if !seen[info.Group] {
			seen[info.Group] = true
			groups = append(groups, info.Group)
		}
	}
	var out []string
	for _, g := range groups {
		if strings.HasPrefix(g, text) {
			out = append(out, g+" ")
		}
	}
	return out
}

func (c *controller) completeProcesses(text string) []string {
	c.completeInfos()
	var procs []string
	seen := map[string]bool{}
	for _, info := range c.completeInfo {
		if strings.Contains(text, ":") || info.Name != info.Group {
			procs = append(procs, info.Group+":"+info.Name)
			if star := info.Group + ":*"; !seen[star] {
				seen[star] = true
				procs = append(procs, star)
			}
		} else {
			procs = append(procs, info.Name)
		}
	}
	var out []string
	for _, p := range procs {
		if strings.HasPrefix(p, text) {
			out = append(out, p+" ")
		}
	}
	return out
}

func newBufReader(r io.Reader) *bufio.Reader { return bufio.NewReader(r) }
