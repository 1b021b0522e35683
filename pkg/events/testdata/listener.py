"""Event listener used by pkg/events integration tests, under superd and
under supervisord 4.2.5 alike. It records every event it gets as one JSON
line {"proc", "headers", "payload"} in the file named by argv[1].

Options (argv[2:]):
  --fail-once EVENTNAME   answer FAIL the first time an event of this
                          name arrives (it must then arrive again)
  --exit-on-fatal PROG    exit 0 after PROCESS_STATE_FATAL of PROG
  --exit-after-ok         exit 0 right after answering OK to one event
"""
import json
import os
import sys

from supervisor import childutils


def main():
    out = sys.argv[1]
    args = sys.argv[2:]
    fail_once = None
    exit_on_fatal = None
    exit_after_ok = False
    while args:
        opt = args.pop(0)
        if opt == '--fail-once':
            fail_once = args.pop(0)
        elif opt == '--exit-on-fatal':
            exit_on_fatal = args.pop(0)
        elif opt == '--exit-after-ok':
            exit_after_ok = True
    failed = False
    me = os.environ.get('SUPERVISOR_PROCESS_NAME', '?')
    while True:
        headers, payload = childutils.listener.wait(sys.stdin, sys.stdout)
        with open(out, 'a', encoding='utf-8') as f:
            f.write(json.dumps({'proc': me, 'headers': headers,
                                'payload': payload}) + '\n')
        if fail_once and headers['eventname'] == fail_once and not failed:
            failed = True
            childutils.listener.fail(sys.stdout)
            continue
        childutils.listener.ok(sys.stdout)
        if exit_after_ok:
            os._exit(0)
        if exit_on_fatal and headers['eventname'] == 'PROCESS_STATE_FATAL':
            ph, _ = childutils.eventdata(payload + '\n')
            if ph.get('processname') == exit_on_fatal:
                sys.exit(0)


if __name__ == '__main__':
    main()
