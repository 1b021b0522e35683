#!/usr/bin/env python3
"""Print what supervisord 4.2.5 makes of config files, in superd's JSON shape.

Usage: refdump.py FILE...   -> one JSON object per line:
  {"file": FILE, "config": {...}}  or  {"file": FILE, "error": "<supervisord's message>"}

Used by pkg/config's differential test (TestDifferential). Only the keys
both sides can produce are emitted: supervisord, unix_http_server,
inet_http_servers, rpcinterfaces, groups.
"""
import inspect
import json
import shlex
import sys

sys.path.append('/usr/lib/python3/dist-packages')

from supervisor import options, datatypes, loggers, events  # noqa: E402

SIGNAMES = {
    1: 'HUP', 2: 'INT', 3: 'QUIT', 4: 'ILL', 5: 'TRAP', 6: 'ABRT', 7: 'BUS', 8: 'FPE',
    9: 'KILL', 10: 'USR1', 11: 'SEGV', 12: 'USR2', 13: 'PIPE', 14: 'ALRM', 15: 'TERM',
    16: 'STKFLT', 17: 'CHLD', 18: 'CONT', 19: 'STOP', 20: 'TSTP', 21: 'TTIN', 22: 'TTOU',
    23: 'URG', 24: 'XCPU', 25: 'XFSZ', 26: 'VTALRM', 27: 'PROF', 28: 'WINCH', 29: 'IO',
    30: 'PWR', 31: 'SYS', 34: 'RTMIN', 64: 'RTMAX',
}

_state = {}
_orig_init = options.ProcessConfig.__init__


def _init(self, opts, **params):
    _orig_init(self, opts, **params)
    # environment is replaced by the merged dict later; keep the own one
    self._own_env = params.get('environment') or {}
    self._program = _state.get('program')
    self._process_num = _state.get('next', 0)
    _state['next'] = _state.get('next', 0) + 1


options.ProcessConfig.__init__ = _init
_orig_pfs = options.ServerOptions._processes_from_section


def _pfs(self, parser, section, group_name, klass=None):
    _state['program'] = section.split(':', 1)[1].strip()
    try:
        _state['next'] = datatypes.integer(parser.saneget(section, 'numprocs_start', '0'))
    except Exception:
        _state['next'] = 0
    return _orig_pfs(self, parser, section, group_name, klass)


options.ServerOptions._processes_from_section = _pfs


class Usage(Exception):
    pass


def _usage(msg):
    raise Usage(str(msg))


def level_name(num):
    for k, v in vars(loggers.LevelsByDescription).items():
        if not k.startswith('_') and v == num:
            return k
    return str(num)


def logfile(v):
    if v is datatypes.Automatic:
        return 'AUTO'
    if v is None:
        return ''
    return v


def autorestart(v):
    if v is datatypes.RestartUnconditionally:
        return 'true'
    if v is datatypes.RestartWhenExitUnexpected:
        return 'unexpected'
    return 'false'


def event_name(cls):
    for k, v in vars(events.EventTypes).items():
        if v is cls:
            return k
    return repr(cls)


def proc(p, group, kind):
    d = {
        'name': p.name, 'group': group, 'program': p._program, 'command': p.command,
        'process_num': p._process_num, 'priority': p.priority, 'autostart': p.autostart,
        'autorestart': autorestart(p.autorestart), 'startsecs': p.startsecs,
        'startretries': p.startretries, 'exitcodes': p.exitcodes,
        'stopsignal': SIGNAMES.get(p.stopsignal, str(p.stopsignal)),
        'stopwaitsecs': p.stopwaitsecs, 'stopasgroup': p.stopasgroup,
        'killasgroup': p.killasgroup, 'uid': -1 if p.uid is None else p.uid,
        'redirect_stderr': p.redirect_stderr, 'serverurl': 'AUTO' if p.serverurl is None else p.serverurl,
    }
    try:
        d['argv'] = shlex.split(p.command)
    except ValueError as e:
        d['argv'] = None
        d['command_error'] = "can't parse command %r: %s" % (p.command, e)
    if p.directory:  # superd treats an empty directory= as unset
        d['directory'] = p.directory
    if p.umask is not None:
        d['umask'] = '%03o' % p.umask
    for ch in ('stdout', 'stderr'):
        d[ch + '_logfile'] = logfile(getattr(p, ch + '_logfile'))
        for k in ('_logfile_maxbytes', '_logfile_backups', '_capture_maxbytes',
                  '_events_enabled', '_syslog'):
            d[ch + k] = getattr(p, ch + k)
    if p._own_env:
        d['environment'] = dict(p._own_env)
    return d


def dump(path):
    o = options.ServerOptions()
    o.usage = _usage
    try:
        o.realize(args=['-c', path])
    except Usage as e:
        return {'file': path, 'error': str(e)}
    except ValueError as e:  # some errors escape usage()
        return {'file': path, 'error': str(e)}
    # supervisord makes its RPC interfaces at start-up (http.py
    # make_http_servers) and refuses to start when the factory rejects
    # the section's other keys as keyword arguments.
    for name, factory, extras in o.rpcinterface_factories:
        if getattr(factory, '__name__', '') == 'make_main_rpcinterface':
            try:
                inspect.signature(factory).bind(None, **extras)
            except TypeError:
                return {'file': path, 'error': 'Could not make %s rpc interface' % name}
    sd = {
        'logfile': o.logfile, 'logfile_maxbytes': o.logfile_maxbytes,
        'logfile_backups': o.logfile_backups, 'loglevel': level_name(o.loglevel),
        'pidfile': o.pidfile, 'umask': '%03o' % o.umask, 'nodaemon': bool(o.nodaemon),
        'silent': bool(o.silent), 'minfds': o.minfds, 'minprocs': o.minprocs,
        'nocleanup': bool(o.nocleanup), 'childlogdir': o.childlogdir,
        'strip_ansi': bool(o.strip_ansi), 'identifier': o.identifier,
    }
    sect = o.configroot.supervisord
    if o.user is not None:
        sd['user'] = o.user
    if o.directory is not None:
        sd['directory'] = o.directory
    if sect.environment:
        sd['environment'] = sect.environment
    cfg = {'supervisord': sd}
    unix = [c for c in o.server_configs if c['section'].startswith('unix_http_server')]
    if unix:
        c = unix[0]
        u = {'file': c['file'], 'chmod': '%03o' % c['chmod']}
        if c['username'] is not None:
            u['username'] = c['username']
            u['password'] = c['password']
        cfg['unix_http_server'] = u
    inet = []
    for c in o.server_configs:
        if c['section'].startswith('inet_http_server'):
            s = {'name': c['section'], 'host': c['host'], 'port': c['port']}
            if c['username'] is not None:
                s['username'] = c['username']
                s['password'] = c['password']
            inet.append(s)
    if inet:
        cfg['inet_http_servers'] = inet
    rpc = [name for name, _f, _x in o.rpcinterface_factories]
    if rpc:
        cfg['rpcinterfaces'] = rpc
    groups = []
    for g in o.process_group_configs:
        kind = 'eventlistener' if isinstance(g, options.EventListenerPoolConfig) else 'program'
        if isinstance(g, options.FastCGIGroupConfig):
            kind = 'fcgi-program'
        procs = [proc(p, g.name, kind) for p in g.process_configs]
        procs.sort(key=lambda x: (x['priority'], x['name']))
        gd = {'name': g.name, 'kind': kind, 'priority': g.priority, 'processes': procs}
        if kind == 'eventlistener':
            rh = g.result_handler
            gd['listener'] = {
                'events': sorted(event_name(e) for e in g.pool_events),
                'buffer_size': g.buffer_size,
                'result_handler': '%s:%s' % (rh.__module__, rh.__name__),
            }
        if kind == 'fcgi-program':
            sc = g.socket_config
            sd_ = {'url': sc.url}
            if sc.backlog:
                sd_['backlog'] = sc.backlog
            if getattr(sc, 'owner', None) is not None:
                sd_['owner'] = {'uid': sc.owner[0], 'gid': sc.owner[1]}
            if getattr(sc, 'mode', None) is not None:
                sd_['mode'] = '%03o' % sc.mode
            gd['socket'] = sd_
        groups.append(gd)
    cfg['groups'] = groups
    ctl = ctl_dump(path)
    if ctl is not None:
        cfg['supervisorctl'] = ctl
    return {'file': path, 'config': cfg}


def ctl_dump(path):
    """What supervisorctl reads from the file, or None if it refuses it."""
    o = options.ClientOptions()
    o.usage = _usage
    try:
        o.realize(args=['-c', path, 'status'])
    except (Usage, ValueError):
        return None
    d = {'serverurl': o.serverurl, 'prompt': o.prompt}
    for k in ('username', 'password'):
        if getattr(o, k):
            d[k] = getattr(o, k)
    if o.history_file:
        d['history_file'] = o.history_file
    return d


def main():
    for path in sys.argv[1:]:
        print(json.dumps(dump(path), sort_keys=True))


if __name__ == '__main__':
    main()
