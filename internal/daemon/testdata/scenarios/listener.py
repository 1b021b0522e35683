"""Event listener of internal/daemon's scenario test (scenario_test.go),
run under supervisord 4.2.5 and under superd alike. For every event it
appends one line to the file named by argv[1]:

    EVENTNAME key:value ... [| body]

with the payload's header tokens in order, except pid (which differs
between runs), and the payload's body (after its first line, if any)
with newlines written as \n.

With --crash-once FILE it exits with status 1 on its first event if FILE
does not exist yet (creating it), without answering: the event must be
redelivered to the restarted listener.
"""
import os
import sys

from supervisor import childutils


def main():
    out = sys.argv[1]
    crash_once = None
    if len(sys.argv) > 3 and sys.argv[2] == '--crash-once':
        crash_once = sys.argv[3]
    while True:
        headers, payload = childutils.listener.wait(sys.stdin, sys.stdout)
        if crash_once and not os.path.exists(crash_once):
            open(crash_once, 'w').close()
            sys.exit(1)
        first, _, body = payload.partition('\n')
        toks = [t for t in first.split() if not t.startswith('pid:')]
        line = ' '.join([headers['eventname']] + toks)
        if body:
            line += ' | ' + body.replace('\n', '\\n')
        with open(out, 'a', encoding='utf-8') as f:
            f.write(line + '\n')
        childutils.listener.ok(sys.stdout)


if __name__ == '__main__':
    main()
