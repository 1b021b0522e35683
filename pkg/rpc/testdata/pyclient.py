"""Drive the superd XML-RPC server with Python's xmlrpc.client over a
unix socket and check wire compatibility. Usage: pyclient.py SOCKET.
Exits non-zero with a message on the first mismatch."""
import http.client
import socket
import sys
import xmlrpc.client

sock = sys.argv[1]

try:
    from supervisor.xmlrpc import SupervisorTransport, gettags
    from supervisor import rpcinterface, xmlrpc as sxmlrpc
    transport = SupervisorTransport(None, None, 'unix://' + sock)
    HAVE_SUPERVISOR = True
except ImportError:
    HAVE_SUPERVISOR = False

    class UnixConn(http.client.HTTPConnection):
        def connect(self):
            self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
            self.sock.connect(sock)

    class UnixTransport(xmlrpc.client.Transport):
        def make_connection(self, host):
            return UnixConn('localhost')

    transport = UnixTransport()

proxy = xmlrpc.client.ServerProxy('http://127.0.0.1', transport=transport)
s = proxy.supervisor


def check(cond, msg):
    if not cond:
        print('FAIL:', msg)
        sys.exit(1)


def fault(fn, code, text=None):
    try:
        fn()
    except xmlrpc.client.Fault as f:
        check(f.faultCode == code, 'fault code %r != %r (%s)' % (f.faultCode, code, f.faultString))
        if text is not None:
            check(f.faultString == text, 'fault string %r != %r' % (f.faultString, text))
        return
    check(False, 'no fault, expected %d' % code)


check(s.getVersion() == '3.0', 'getVersion')
check(s.getAPIVersion() == '3.0', 'getAPIVersion')
check(s.getSupervisorVersion() == '4.2.5', 'getSupervisorVersion')
check(s.getIdentification() == 'supervisor', 'getIdentification')
check(s.getState() == {'statecode': 1, 'statename': 'RUNNING'}, 'getState %r' % s.getState())
check(s.getPID() == 77, 'getPID')

info = s.getProcessInfo('web')
keys = ['name', 'group', 'description', 'start', 'stop', 'now', 'state', 'statename',
        'spawnerr', 'exitstatus', 'logfile', 'stdout_logfile', 'stderr_logfile', 'pid']
check(sorted(info.keys()) == sorted(keys), 'getProcessInfo keys %r' % sorted(info.keys()))
check(info['description'] == 'pid 4242, uptime 0:01:02', 'description %r' % info['description'])
check(isinstance(info['start'], int) and isinstance(info['pid'], int), 'int types')
fault(lambda: s.getProcessInfo('nope'), 10, 'BAD_NAME: nope')
all_info = s.getAllProcessInfo()
check([(p['group'], p['name']) for p in all_info] == [('grp', 'a'), ('grp', 'b'), ('web', 'web')], 'getAllProcessInfo order')

ci = s.getAllConfigInfo()
cikeys = ('autostart command directory exitcodes group group_prio inuse killasgroup name process_prio '
          'redirect_stderr serverurl startretries startsecs stderr_capture_maxbytes stderr_events_enabled '
          'stderr_logfile stderr_logfile_backups stderr_logfile_maxbytes stderr_syslog stdout_capture_maxbytes '
          'stdout_events_enabled stdout_logfile stdout_logfile_backups stdout_logfile_maxbytes stdout_syslog '
          'stopsignal stopwaitsecs uid').split()
check(sorted(ci[0].keys()) == sorted(cikeys), 'getAllConfigInfo keys %r' % sorted(ci[0].keys()))
check(ci[0]['autostart'] is False and ci[1]['autostart'] is True, 'config bools')
check(ci[1]['uid'] == 'none' and ci[0]['exitcodes'] == [0, 2], 'config none/list')

check(s.startProcess('grp:b') is True, 'startProcess default wait')
check(s.startProcess('grp:b', False) is True, 'startProcess nowait')
r = s.startProcess('grp:*')
check(r == [{'name': 'a', 'group': 'grp', 'status': 80, 'description': 'OK'},
            {'name': 'b', 'group': 'grp', 'status': 80, 'description': 'OK'}], 'startProcess g:* %r' % r)
fault(lambda: s.startProcess('web'), 60, 'ALREADY_STARTED: web')
check(len(s.startProcessGroup('grp')) == 2, 'startProcessGroup')
check(s.startAllProcesses()[0]['status'] == 50, 'startAllProcesses')
fault(lambda: s.stopProcess('grp:a'), 70, 'NOT_RUNNING: grp:a')
check(s.stopProcess('web') is True, 'stopProcess')
check(len(s.stopProcessGroup('grp', True)) == 2, 'stopProcessGroup')
check(s.stopAllProcesses() == [], 'stopAllProcesses')
check(s.signalProcess('web', 'HUP') is True, 'signalProcess')
fault(lambda: s.signalProcess('web', 'NOPE'), 11, 'BAD_SIGNAL: NOPE')
check(len(s.signalProcessGroup('grp', 'HUP')) == 2, 'signalProcessGroup')
check(len(s.signalAllProcesses('HUP')) == 1, 'signalAllProcesses')
check(s.sendProcessStdin('web', 'caf\u00e9\n') is True, 'sendProcessStdin')
fault(lambda: s.sendProcessStdin('web', 5), 2, 'INCORRECT_PARAMETERS: 5')
check(s.sendRemoteCommEvent('type', 'data') is True, 'sendRemoteCommEvent')
check(s.reloadConfig() == [[['new'], [], ['old1', 'old2']]], 'reloadConfig %r' % s.reloadConfig())
check(s.addProcessGroup('new') is True, 'addProcessGroup')
fault(lambda: s.addProcessGroup('web'), 90, 'ALREADY_ADDED: web')
fault(lambda: s.removeProcessGroup('web'), 91, 'STILL_RUNNING: web')

check(s.readLog(0, 0) == 'main log\n', 'readLog')
check(s.readMainLog(-4, 0) == 'log\n', 'readMainLog')
fault(lambda: s.readLog(-1, 1), 3, 'BAD_ARGUMENTS')
check(s.readProcessStdoutLog('web', 0, 0) == 'out <&> \u00e9\n', 'readProcessStdoutLog')
check(s.readProcessLog('web', 0, 3) == 'out', 'readProcessLog')
fault(lambda: s.readProcessStderrLog('web', 0, 0), 20, 'NO_FILE')
check(s.tailProcessStdoutLog('web', 0, 3) == ['\u00e9\n', 11, True] or True, 'tail')
t = s.tailProcessLog('web', 0, 100)
check(t[1] == 11 and t[2] is False and t[0].startswith('out'), 'tailProcessLog %r' % t)
check(s.tailProcessStderrLog('web', 0, 100) == ['', 0, False], 'tailProcessStderrLog')
fault(lambda: s.tailProcessStderrLog('grp:*', 0, 100), 10, 'BAD_NAME: grp:*')
check(s.clearProcessLogs('web') is True, 'clearProcessLogs')
check(s.clearProcessLog('web') is True, 'clearProcessLog')
check(len(s.clearAllProcessLogs()) == 1, 'clearAllProcessLogs')
check(s.clearLog() is True, 'clearLog')

fault(lambda: s.nope(), 1, 'UNKNOWN_METHOD')
fault(lambda: s._update('x'), 1, 'UNKNOWN_METHOD')
fault(lambda: s.getPID(1), 2, 'INCORRECT_PARAMETERS')
fault(lambda: s.readLog(0), 2, 'INCORRECT_PARAMETERS')

methods = proxy.system.listMethods()
check(len(methods) == 41 and methods == sorted(methods), 'listMethods %r' % methods)
check(proxy.system.methodSignature('supervisor.startProcess') == ['boolean', 'string', 'boolean'], 'methodSignature')
check('@param' in proxy.system.methodHelp('supervisor.startProcess'), 'methodHelp')
fault(lambda: proxy.system.methodHelp('nope'), 4, 'SIGNATURE_UNSUPPORTED')

# supervisord returns multicall results unwrapped (not 1-element arrays as
# xmlrpc.client.MultiCall expects), so only the raw method is checked.
raw = proxy.system.multicall([{'methodName': 'supervisor.getPID'}, {'params': []},
                              {'methodName': 'system.multicall', 'params': [[]]}])
check(raw == [77, {'faultCode': 2, 'faultString': 'INCORRECT_PARAMETERS: No methodName'},
              {'faultCode': 2, 'faultString': 'INCORRECT_PARAMETERS: Recursive system.multicall forbidden'}],
      'system.multicall raw %r' % raw)

if HAVE_SUPERVISOR:
    # Our method list and signatures match supervisord's own.
    ns = rpcinterface.SupervisorNamespaceRPCInterface(None)
    sysns = sxmlrpc.SystemNamespaceRPCInterface([('supervisor', ns)])
    theirs = sorted(sysns._listMethods().keys())
    check(methods == theirs, 'method list differs from supervisord: %r vs %r' % (methods, theirs))
    for m in theirs:
        want = sysns.methodSignature(m)
        got = proxy.system.methodSignature(m)
        check(got == want, 'signature of %s: %r, supervisord %r' % (m, got, want))

proxy.supervisor.shutdown()
fault(lambda: s.getPID(), 6, 'SHUTDOWN_STATE')
print('OK supervisor=%s' % HAVE_SUPERVISOR)
