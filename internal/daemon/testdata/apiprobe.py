"""Differential XML-RPC probe for api_compat_test.go.

Usage:
    apiprobe.py conf DIR    write DIR/s.conf (and DIR/notexec)
    apiprobe.py probe DIR   drive the daemon listening on DIR/s.sock

"probe" calls every method of supervisord's XML-RPC API (spec section 4.3)
with good and bad arguments, the way supervisorctl does (xmlrpc.client
over SupervisorTransport), and prints one JSON line per call:
{"call", "args", "result"} or {"call", "args", "fault": {"code", "string"}}.
Pids, times, uptimes, dates, the temp dir and the random part of AUTO log
names are masked, so the output of a run against supervisord 4.2.5 and one
against superd must be equal line by line.

Determinism: states are awaited by polling getProcessInfo with a deadline
(the matching answer is printed); log content is produced by programs that
print and then block on stdin or sleep, and is awaited the same way.
"""
import json
import os
import re
import socket
import sys
import time
import xmlrpc.client

from supervisor.xmlrpc import SupervisorTransport

TALKER = ("/bin/sh -c 'echo out-line; echo err-line >&2; "
          "while read x; do echo got:$x; done; exec /bin/sleep 1000'")

GONE = """[program:gone]
command=/bin/sleep 1000
startsecs=0

[program:agone]
command=/bin/sleep 1000
startsecs=0
"""

PROGRAMS = """
; ticker keeps supervisord's select loop busy: its deferred answers
; (NOT_DONE_YET) are otherwise retried only once per idle second.
[program:ticker]
command=/bin/sh -c 'while :; do echo t; sleep 0.02; done'
startsecs=0
stdout_logfile=NONE
stderr_logfile=NONE

[program:sleeper]
command=/bin/sleep 1000
startsecs=0

[program:talker]
command=%(talker)s
startsecs=0

[program:manual]
command=/bin/sleep 1000
autostart=false
startsecs=0

[program:exiter]
command=/bin/sh -c 'read x; exit 3'
startsecs=0
autorestart=false

[program:fatal]
command=/bin/sh -c 'exit 1'
startsecs=5
startretries=0

[program:flappy]
; exits a moment after it starts: supervisord's startProcess(wait=False)
; answers SPAWN_ERROR instead of true when it happens to reap an instantly
; dead child before replying, which made this call race
command=/bin/sh -c 'sleep 0.3; exit 1'
startsecs=5
startretries=1
autostart=false

[program:quick]
command=/bin/sh -c 'exit 3'
startsecs=5
startretries=0
autostart=false

[program:missing]
command=/no/such/bin
autostart=false

[program:noexec]
command=%%(here)s/notexec
autostart=false

[program:nolog]
command=/bin/sleep 1000
autostart=false
startsecs=0
stdout_logfile=NONE
stderr_logfile=NONE

[program:multi]
command=/bin/sleep 1000
process_name=%%(program_name)s_%%(process_num)02d
numprocs=2
startsecs=0

[group:grp]
programs=g1,g2
priority=5

[program:g1]
command=/bin/sleep 1000
startsecs=0
priority=20

[program:g2]
command=/bin/sleep 1000
startsecs=0
autostart=false
priority=10

%(gone)s
[program:victim]
command=/bin/sleep 1000
startsecs=0
autorestart=false

; closer closes its stdin (sendProcessStdin: NO_FILE), then creates
; DIR/closed.
[program:closer]
command=/bin/sh -c 'exec 0<&-; : > %%(here)s/closed; exec /bin/sleep 1000'
startsecs=0

[program:slow]
command=/bin/sleep 1000
startsecs=1
autostart=false

; stubborn keeps supervisord in its SHUTDOWN state until the probe
; creates DIR/release: it ignores SIGTERM while DIR/hold exists, and
; creates DIR/armed once its trap is set.
[program:stubborn]
command=/bin/sh -c 'trap "[ -e %%(here)s/hold ] || exit 0" TERM; : > %%(here)s/armed; while [ ! -e %%(here)s/release ]; do sleep 0.05; done'
autostart=false
startsecs=0
stopwaitsecs=60

[program:cfg]
command=/bin/sleep 1000
autostart=false
directory=/tmp
user=nobody
umask=022
priority=50
startsecs=0
startretries=7
exitcodes=0,2
stopsignal=INT
stopwaitsecs=3
stopasgroup=true
killasgroup=true
redirect_stderr=true
stdout_logfile=%%(here)s/cfg.log
stdout_logfile_maxbytes=1KB
stdout_logfile_backups=2
stdout_capture_maxbytes=1KB
stdout_events_enabled=true
stderr_events_enabled=true
serverurl=AUTO
environment=A="1",B="2"
""" % {'talker': TALKER, 'gone': GONE}

# Appended / substituted for the reloadConfig steps.
LATER = """
[program:later]
command=/bin/sleep 1000
startsecs=0

[program:alater]
command=/bin/sleep 1000
startsecs=0
autostart=false

; starter stays STARTING for 10 s.
[program:starter]
command=/bin/sleep 1000
startsecs=10
autostart=false
"""


# A program without command: reloadConfig fails with CANT_REREAD.
BROKEN = """
[program:broken]
autostart=false
"""


def header(d):
    return """[unix_http_server]
file=%(d)s/s.sock

[supervisord]
logfile=%(d)s/main.log
pidfile=%(d)s/s.pid
childlogdir=%(d)s
loglevel=debug
statedir=%(d)s/state
identifier=probe-id
[supervisorctl]
serverurl=unix://%(d)s/s.sock

[rpcinterface:supervisor]
supervisor.rpcinterface_factory = supervisor.rpcinterface:make_main_rpcinterface
""" % {'d': d}


def write_conf(d, programs):
    with open(os.path.join(d, 's.conf'), 'w') as f:
        f.write(header(d) + programs)


def conf(d):
    write_conf(d, PROGRAMS)
    p = os.path.join(d, 'notexec')
    with open(p, 'w') as f:
        f.write('#!/bin/sh\n')
    os.chmod(p, 0o644)


class Probe:
    def __init__(self, d):
        self.dir = d
        self.sock = os.path.join(d, 's.sock')
        self.connect()

    def connect(self):
        t = SupervisorTransport('', '', 'unix://' + self.sock)
        self.proxy = xmlrpc.client.ServerProxy('http://127.0.0.1', transport=t)

    # --- masking ---------------------------------------------------------

    def mask_str(self, s):
        s = s.replace(self.dir, '$DIR')
        s = re.sub(r'pid \d+', 'pid N', s)
        s = re.sub(r'uptime (\d+ days?, )?\d+:\d\d:\d\d', 'uptime U', s)
        s = re.sub(r'[A-Z][a-z]{2} \d\d \d\d:\d\d [AP]M', 'DATE', s)
        # AUTO log names: NAME-stdout---IDENTIFIER-RANDOM8.log
        s = re.sub(r'(---probe-id-)[A-Za-z0-9_]{8}\.log', r'\1X.log', s)
        return s

    def mask(self, v, key=None):
        if isinstance(v, (bool, float)):
            return v
        if isinstance(v, int):
            if key in ('pid', 'start', 'stop', 'now') and v != 0:
                return key.upper()
            return v
        if isinstance(v, str):
            return self.mask_str(v)
        if isinstance(v, list):
            return [self.mask(x) for x in v]
        if isinstance(v, dict):
            return {k: self.mask(x, k) for k, x in v.items()}
        if isinstance(v, xmlrpc.client.Binary):
            return {'binary': self.mask_str(v.data.decode('utf-8', 'replace'))}
        return {'type': type(v).__name__}

    # --- calls -------------------------------------------------------------

    def raw(self, method, *args):
        """Calls method; returns ('result', value) or ('fault', {...}) or
        ('error', text) for a transport error (e.g. HTTP 500)."""
        fn = self.proxy
        for part in method.split('.'):
            fn = getattr(fn, part)
        try:
            return 'result', fn(*args)
        except xmlrpc.client.Fault as f:
            return 'fault', {'code': f.faultCode, 'string': self.mask_str(f.faultString)}
        except xmlrpc.client.ProtocolError as e:
            self.connect()
            return 'error', 'HTTP %d' % e.errcode
        except Exception as e:  # connection problems
            self.connect()
            return 'error', type(e).__name__

    def emit(self, method, args, kind, value, note=None):
        if os.environ.get('APIPROBE_TIMES'):
            sys.stderr.write('%.2f %s %r\n' % (time.time() - START, method, args))
        rec = {'call': method, 'args': self.mask(list(args))}
        if note:
            rec['note'] = note
        rec[kind] = value
        print(json.dumps(rec, sort_keys=True), flush=True)

    def call(self, method, *args, shape=None, sort=False):
        """Calls and prints. shape: 'type' prints only the result's type,
        'len' its type and length. sort sorts a list of result structs by
        (group, name): supervisord returns them in completion order."""
        kind, value = self.raw(method, *args)
        if method == 'system.listMethods' and kind == 'result':
            # superd's own methods (the superd. namespace, an extension
            # supervisord never defines) are checked by their own tests.
            value = [m for m in value if not m.startswith('superd.')]
        if kind == 'result':
            if shape == 'type':
                value = {'type': type(value).__name__}
            elif shape == 'len':
                value = {'type': type(value).__name__, 'len': len(value)}
            else:
                if sort and isinstance(value, list):
                    value = sorted(value, key=lambda r: (r.get('group', ''), r.get('name', '')))
                value = self.mask(value)
        self.emit(method, args, kind, value)
        return kind, value

    def s(self, method, *args, **kw):
        return self.call('supervisor.' + method, *args, **kw)

    def poll(self, what, fn, deadline=30):
        """Calls fn until it returns a true value; returns it. Fails the
        probe (exit 1) at the deadline."""
        end = time.time() + deadline
        last = None
        while time.time() < end:
            try:
                last = fn()
            except Exception:  # faults, HTTP errors, connection errors
                self.connect()
                last = None
            if last:
                return last
            time.sleep(0.02)
        print(json.dumps({'timeout': what}), flush=True)
        sys.exit(1)

    def wait_state(self, name, state, emit=True):
        """Polls getProcessInfo(name) until statename is state and prints
        that answer."""
        def check():
            info = self.proxy.supervisor.getProcessInfo(name)
            return info if info['statename'] == state else None
        info = self.poll('%s %s' % (name, state), check)
        if emit:
            self.emit('supervisor.getProcessInfo', [name], 'result', self.mask(info),
                      note='awaited ' + state)
        return info

    def wait_log(self, name, channel, want):
        """Polls the whole stdout/stderr log of name until it is want."""
        meth = {'stdout': 'readProcessStdoutLog', 'stderr': 'readProcessStderrLog'}[channel]

        def check():
            return getattr(self.proxy.supervisor, meth)(name, 0, 0) == want
        self.poll('%s %s log %r' % (name, channel, want), check)


START = time.time()


def probe(d):
    # A call that hangs becomes an 'error' line naming it, instead of
    # the caller's overall timeout.
    socket.setdefaulttimeout(30)
    p = Probe(d)
    s = p.s

    # Settle the autostarted processes.
    for name in ('sleeper', 'talker', 'exiter', 'multi:multi_00', 'multi:multi_01',
                 'grp:g1', 'gone', 'agone'):
        p.wait_state(name, 'RUNNING')
    p.wait_state('fatal', 'FATAL')
    p.poll('closer closed its stdin', lambda: os.path.exists(os.path.join(d, 'closed')))
    p.wait_state('closer', 'RUNNING')
    p.wait_log('talker', 'stdout', 'out-line\n')
    p.wait_log('talker', 'stderr', 'err-line\n')
    s('sendProcessStdin', 'exiter', 'x\n')
    p.wait_state('exiter', 'EXITED')

    # system.*
    kind, methods = p.call('system.listMethods')
    for m in methods:
        p.call('system.methodSignature', m)
    for m in ('nosuch', 'supervisor.nosuch'):
        p.call('system.methodSignature', m)
    for m in methods:
        p.call('system.methodHelp', m, shape='type')
    p.call('system.methodHelp', 'supervisor.nosuch')

    # Daemon.
    s('getAPIVersion')
    s('getVersion')
    s('getSupervisorVersion')
    s('getIdentification')
    s('getState')
    kind, pid = p.raw('supervisor.getPID')
    p.emit('supervisor.getPID', [], kind, 'PID' if kind == 'result' and pid > 0 else pid)
    s('readLog', 0, 0, shape='type')
    s('readMainLog', 0, 0, shape='type')
    s('readLog', -10, 0, shape='len')
    s('readLog', 0, 5, shape='len')
    s('readLog', 2, 5, shape='len')
    s('readLog', -1, 1)
    s('readLog', 0, -1)
    s('readLog', -5, -5)
    s('clearLog')
    s('readLog', 0, 0, shape='type')

    # getProcessInfo.
    for name in ('sleeper', 'manual', 'exiter', 'fatal', 'grp:g1', 'grp:g2',
                 'multi:multi_00', 'nolog', 'cfg', 'nosuch', 'g1', 'grp:nosuch',
                 'nosuch:g1', 'grp:*', 'grp:', 'multi', '', ':', 'sleeper:sleeper',
                 'sleeper:*'):
        s('getProcessInfo', name)
    s('getAllProcessInfo')
    s('getAllConfigInfo')

    # startProcess.
    s('startProcess', 'manual')
    p.wait_state('manual', 'RUNNING')
    s('startProcess', 'manual')
    s('startProcess', 'sleeper', False)
    s('startProcess', 'missing')
    p.wait_state('missing', 'STOPPED')
    s('startProcess', 'noexec')
    p.wait_state('noexec', 'STOPPED')
    s('startProcess', 'quick')
    p.wait_state('quick', 'FATAL')
    s('startProcess', 'nosuch')
    s('startProcess', 'grp:nosuch')
    s('startProcess', 'g1')
    s('startProcess', 'grp:*', sort=True)
    p.wait_state('grp:g2', 'RUNNING')
    s('startProcess', 'grp:', sort=True)
    s('startProcess', 'nosuch:*')
    s('startProcess', 'flappy', False)
    p.wait_state('flappy', 'BACKOFF')
    p.wait_state('flappy', 'FATAL')
    s('startProcess', 'fatal')
    p.wait_state('fatal', 'FATAL')
    s('startProcess', 'exiter', 0)
    p.wait_state('exiter', 'RUNNING')
    s('startProcess', 'slow')
    s('getProcessInfo', 'slow')
    s('stopProcess', 'slow')
    s('startProcess', 'slow', False)
    p.wait_state('slow', 'RUNNING')
    s('startProcessGroup', 'multi')
    s('startProcessGroup', 'nosuch')
    s('startProcessGroup', 'grp:g1')
    s('stopProcess', 'grp:g2')
    p.wait_state('grp:g2', 'STOPPED')
    s('startProcessGroup', 'grp', sort=True)
    s('startProcessGroup', 'grp', False)
    s('startProcessGroup', 'nolog', False, sort=True)
    p.wait_state('nolog', 'RUNNING')

    # stopProcess.
    s('stopProcess', 'manual')
    p.wait_state('manual', 'STOPPED')
    s('stopProcess', 'manual')
    s('stopProcess', 'fatal')
    s('stopProcess', 'nosuch')
    s('stopProcess', 'grp:nosuch')
    s('stopProcess', 'nolog', False)
    p.wait_state('nolog', 'STOPPED')
    s('stopProcess', 'grp:*', sort=True)
    p.wait_state('grp:g1', 'STOPPED')
    s('stopProcessGroup', 'grp', sort=True)
    s('stopProcessGroup', 'nosuch')
    s('stopProcessGroup', 'multi', sort=True)
    p.wait_state('multi:multi_00', 'STOPPED')
    p.wait_state('multi:multi_01', 'STOPPED')

    # startAllProcesses starts what is not running, including the ones
    # that cannot start (NO_FILE, NOT_EXECUTABLE, SPAWN_ERROR results).
    s('startAllProcesses', sort=True)
    for name in ('manual', 'grp:g1', 'grp:g2', 'multi:multi_00', 'nolog', 'cfg'):
        p.wait_state(name, 'RUNNING')
    for name in ('fatal', 'flappy', 'quick'):
        p.wait_state(name, 'FATAL')
    s('startAllProcesses', sort=True)
    for name in ('fatal', 'flappy', 'quick'):
        p.wait_state(name, 'FATAL')
    s('getAllProcessInfo')

    # Signals (CONT: nothing dies).
    for sig in ('CONT', 'cont', 'SIGCONT', '18', 18, ' CONT ', 'FOO', '999', '0', '-1', ''):
        s('signalProcess', 'sleeper', sig)
    s('signalProcess', 'sleeper', 18.7)
    s('signalProcess', 'missing', 'CONT')
    s('signalProcess', 'nosuch', 'CONT')
    s('signalProcess', 'nosuch', 'FOO')
    s('signalProcess', 'grp:*', 'CONT')
    s('signalProcess', 'grp:*', 'FOO')
    s('signalProcessGroup', 'grp', 'CONT')
    s('signalProcessGroup', 'grp', 'FOO')
    s('signalProcessGroup', 'nosuch', 'CONT')
    s('signalProcessGroup', 'fatal', 'CONT')
    s('signalAllProcesses', 'CONT')
    s('signalAllProcesses', 'FOO')
    s('signalProcess', 'victim', 'KILL')
    p.wait_state('victim', 'EXITED')
    s('signalProcess', 'victim', 'KILL')

    # STOPPING: stubborn (RUNNING since startAllProcesses) ignores SIGTERM
    # while DIR/hold exists and stays STOPPING until DIR/release exists.
    hold, release = os.path.join(d, 'hold'), os.path.join(d, 'release')
    open(hold, 'w').close()
    s('stopProcess', 'stubborn', False)
    s('getProcessInfo', 'stubborn')
    s('stopProcess', 'stubborn')
    s('signalProcess', 'stubborn', 'CONT')
    s('sendProcessStdin', 'stubborn', 'x')
    s('startProcess', 'stubborn')
    s('startProcess', 'stubborn', False)
    s('removeProcessGroup', 'stubborn')
    s('stopProcessGroup', 'stubborn')
    s('signalProcessGroup', 'stubborn', 'CONT')
    s('clearProcessLogs', 'stubborn')
    s('getProcessInfo', 'stubborn')
    open(release, 'w').close()
    p.wait_state('stubborn', 'STOPPED')
    os.remove(release)
    os.remove(hold)

    # stdin and remote comm events.
    s('sendProcessStdin', 'talker', 'hello\n')
    p.wait_log('talker', 'stdout', 'out-line\ngot:hello\n')
    s('sendProcessStdin', 'talker', '')
    s('sendProcessStdin', 'closer', 'x\n')
    s('sendProcessStdin', 'closer', 'x\n')
    s('getProcessInfo', 'closer')
    s('sendProcessStdin', 'missing', 'x')
    s('sendProcessStdin', 'fatal', 'x')
    s('sendProcessStdin', 'nosuch', 'x')
    s('sendProcessStdin', 'grp:*', 'x')
    s('sendProcessStdin', 'talker', 5)
    s('sendProcessStdin', 'talker', ['x'])
    s('sendRemoteCommEvent', 'type', 'data')
    s('sendRemoteCommEvent', '', '')

    # Process logs: talker's stdout is 'out-line\ngot:hello\n' (19 bytes),
    # its stderr 'err-line\n'.
    for meth in ('readProcessStdoutLog', 'readProcessLog'):
        for off, ln in ((0, 0), (0, 3), (4, 4), (4, 0), (19, 0), (100, 0), (100, 5),
                        (-4, 0), (-100, 0), (-1, 1), (0, -1), (-2, -2), ('3', 0)):
            s(meth, 'talker', off, ln)
    for off, ln in ((0, 0), (-3, 0), (2, 2), (0, -3)):
        s('readProcessStderrLog', 'talker', off, ln)
    for meth in ('readProcessStdoutLog', 'readProcessStderrLog', 'readProcessLog'):
        for name in ('nolog', 'nosuch', 'grp:*', 'missing'):
            s(meth, name, 0, 0)
    for meth in ('tailProcessStdoutLog', 'tailProcessLog'):
        for off, ln in ((0, 100), (0, 19), (0, 4), (5, 4), (15, 4), (19, 10), (100, 10),
                        (-5, 3), (0, 0), (0, -1), (3, -2), (-30, 10)):
            s(meth, 'talker', off, ln)
    for off, ln in ((0, 100), (0, 3), (4, 100)):
        s('tailProcessStderrLog', 'talker', off, ln)
    for meth in ('tailProcessStdoutLog', 'tailProcessStderrLog', 'tailProcessLog'):
        for name in ('nolog', 'nosuch', 'grp:*', 'missing'):
            s(meth, name, 0, 10)
    s('clearProcessLogs', 'talker')
    s('readProcessStdoutLog', 'talker', 0, 0)
    s('readProcessStderrLog', 'talker', 0, 0)
    s('tailProcessStdoutLog', 'talker', 0, 10)
    s('clearProcessLog', 'talker')
    for meth in ('clearProcessLogs', 'clearProcessLog'):
        for name in ('nolog', 'nosuch', 'grp:*', 'grp:g1', 'missing'):
            s(meth, name)
    s('clearAllProcessLogs')
    # Non-ASCII output: 'got:h\xc3\xa9llo w\xc3\xb6rld\n'.
    s('sendProcessStdin', 'talker', 'h\u00e9llo w\u00f6rld\n')
    p.wait_log('talker', 'stdout', 'got:h\u00e9llo w\u00f6rld\n')
    for off, ln in ((0, 0), (4, 3), (-7, 0), (5, 0), (0, 6)):
        s('readProcessStdoutLog', 'talker', off, ln)
    for off, ln in ((0, 100), (0, 6), (5, 3)):
        s('tailProcessStdoutLog', 'talker', off, ln)
    s('clearProcessLogs', 'talker')
    # redirect_stderr: no stderr log.
    s('readProcessStderrLog', 'cfg', 0, 0)
    s('tailProcessStderrLog', 'cfg', 0, 10)
    s('readProcessStdoutLog', 'cfg', 0, 0)

    # A log file deleted behind the daemon's back.
    os.remove(p.proxy.supervisor.getProcessInfo('sleeper')['stdout_logfile'])
    s('readProcessStdoutLog', 'sleeper', 0, 0)
    s('tailProcessStdoutLog', 'sleeper', 0, 10)
    s('clearProcessLogs', 'sleeper')
    s('readProcessStdoutLog', 'sleeper', 0, 0)
    s('readProcessStderrLog', 'sleeper', 0, 0)

    # reloadConfig and groups.
    s('reloadConfig')
    s('getAllConfigInfo')
    s('addProcessGroup', 'sleeper')
    s('removeProcessGroup', 'sleeper')
    programs = PROGRAMS.replace(GONE, '').replace(
        "command=/bin/sh -c 'exit 3'", "command=/bin/sh -c 'exit 4'").replace(
        "programs=g1,g2\npriority=5", "programs=g1,g2\npriority=6") + LATER
    write_conf(d, programs)
    s('reloadConfig')
    s('getAllConfigInfo')
    s('addProcessGroup', 'later')
    p.wait_state('later', 'RUNNING')
    s('addProcessGroup', 'later')
    s('addProcessGroup', 'nosuch')
    s('addProcessGroup', 'quick')
    # STARTING.
    s('addProcessGroup', 'starter')
    s('startProcess', 'starter', False)
    s('getProcessInfo', 'starter')
    s('startProcess', 'starter')
    s('signalProcess', 'starter', 'CONT')
    s('sendProcessStdin', 'starter', 'x')
    s('stopProcessGroup', 'starter', False)
    p.wait_state('starter', 'STOPPED')
    s('startProcess', 'starter', False)
    s('stopProcess', 'starter')
    s('getProcessInfo', 'starter')
    s('removeProcessGroup', 'gone')
    s('stopProcess', 'gone')
    s('removeProcessGroup', 'gone')
    s('removeProcessGroup', 'gone')
    s('removeProcessGroup', 'nosuch')
    s('removeProcessGroup', 'grp')
    s('stopProcessGroup', 'grp', sort=True)
    s('removeProcessGroup', 'grp')
    s('addProcessGroup', 'grp')
    p.wait_state('grp:g1', 'RUNNING')
    s('reloadConfig')
    s('getAllProcessInfo')
    write_conf(d, programs + BROKEN)
    s('reloadConfig')
    s('getAllConfigInfo')
    write_conf(d, programs)

    # system.multicall.
    p.call('system.multicall', [
        {'methodName': 'supervisor.getAPIVersion', 'params': []},
        {'methodName': 'supervisor.getProcessInfo', 'params': ['nosuch']},
        {'methodName': 'supervisor.getProcessInfo', 'params': ['sleeper']},
        {'methodName': 'supervisor.stopProcess', 'params': ['manual']},
        {'methodName': 'supervisor.startProcess', 'params': ['manual']},
        {'methodName': 'supervisor.startProcess', 'params': ['manual']},
        {'methodName': 'system.multicall', 'params': [[]]},
        {'params': []},
        {'methodName': 'supervisor.nosuch', 'params': []},
        {'methodName': 'supervisor.getState'},
        {'methodName': 'supervisor.getProcessInfo', 'params': []},
        {'methodName': 'supervisor._update', 'params': ['x']},
    ])
    s('stopProcess', 'slow')
    p.call('system.multicall', [
        {'methodName': 'supervisor.startProcess', 'params': ['slow']},
        {'methodName': 'supervisor.getProcessInfo', 'params': ['slow']},
        {'methodName': 'supervisor.stopProcess', 'params': ['slow']},
        {'methodName': 'supervisor.startProcess', 'params': ['quick']},
    ])
    p.wait_state('quick', 'FATAL')
    p.call('system.multicall', [])
    p.call('system.multicall')
    p.call('system.multicall', [{}])

    # Arity, types, unknown methods.
    s('getAPIVersion', 1)
    s('getProcessInfo')
    s('getProcessInfo', 'sleeper', 'x')
    s('startProcess')
    s('startProcess', 'sleeper', True, 1)
    s('readLog', 0)
    s('tailProcessStdoutLog', 'talker', 0)
    s('signalProcess', 'sleeper')
    s('sendRemoteCommEvent', 'x')
    s('startProcess', 'sleeper', 'yes')
    s('readProcessStdoutLog', 'talker', ' 2 ', '0')
    s('readProcessStdoutLog', 'talker', True, 0)
    s('readProcessStdoutLog', 'talker', 1.9, 0)
    s('tailProcessStdoutLog', 'talker', '0', '5')
    # Wrong types: supervisord crashes with HTTP 500 on these (see the
    # exclusions in api_compat_test.go).
    s('getProcessInfo', 5)
    s('startProcess', ['sleeper'])
    s('readProcessStdoutLog', 'talker', 'x', 0)
    s('getState', {})
    s('nosuch')
    s('_update', 'x')
    s('__init__')
    p.call('nosuch.getState')
    p.call('system.nosuch')
    p.call('supervisor.getState.x')
    p.call('getState')
    p.call('supervisor._getAllProcesses')

    # restart: the daemon comes back on the current config file, with
    # fresh processes and AUTO log names.
    s('restart')

    def back():
        return p.proxy.supervisor.getState()['statename'] == 'RUNNING'
    p.poll('daemon RUNNING after restart', back)
    for name in ('sleeper', 'talker', 'exiter', 'multi:multi_00', 'multi:multi_01',
                 'grp:g1', 'later'):
        p.wait_state(name, 'RUNNING')
    p.wait_state('fatal', 'FATAL')
    s('getAllProcessInfo')
    s('getAllConfigInfo')
    s('reloadConfig')

    # stopAllProcesses: results come in completion order; sorted.
    s('stopAllProcesses', sort=True)
    s('stopAllProcesses', sort=True)
    s('getAllProcessInfo')
    s('getState')

    # shutdown, and what answers while it waits for stubborn: every
    # method but sendRemoteCommEvent and system.* says SHUTDOWN_STATE;
    # signalAllProcesses signals first.
    armed = os.path.join(d, 'armed')
    if os.path.exists(armed):
        os.remove(armed)
    s('startProcess', 'stubborn')
    p.poll('stubborn armed', lambda: os.path.exists(armed))
    open(os.path.join(d, 'hold'), 'w').close()
    s('shutdown')
    s('getState')
    s('getPID')
    s('getAPIVersion')
    s('getProcessInfo', 'stubborn')
    s('getAllProcessInfo')
    s('startProcess', 'sleeper')
    s('stopProcess', 'stubborn')
    s('readLog', 0, 0)
    s('reloadConfig')
    s('signalProcess', 'stubborn', 'CONT')
    s('signalAllProcesses', 'CONT')
    s('signalAllProcesses', 'FOO')
    s('sendRemoteCommEvent', 'type', 'data')
    s('shutdown')
    s('restart')
    p.call('system.listMethods', shape='len')
    p.call('system.methodSignature', 'supervisor.getState')
    p.call('system.multicall', [{'methodName': 'supervisor.getState', 'params': []},
                                {'methodName': 'supervisor.getAPIVersion', 'params': []}])
    open(os.path.join(d, 'release'), 'w').close()


if __name__ == '__main__':
    if len(sys.argv) != 3 or sys.argv[1] not in ('conf', 'probe'):
        sys.exit('usage: apiprobe.py conf|probe DIR')
    {'conf': conf, 'probe': probe}[sys.argv[1]](sys.argv[2])
