#!/usr/bin/env python3
"""Generate random, mostly plausible supervisord config files for the
randomized differential test (TestRandomDifferential).

Usage: rndgen.py SEED COUNT OUTDIR
"""
import os
import random
import sys

random.seed(int(sys.argv[1]))
N=int(sys.argv[2])
d=sys.argv[3]; os.makedirs(d, exist_ok=True)
vals = ['1','0','true','Off','x','%(program_name)s','%(process_num)02d','50%%','100%','a;b','a ;b','a #b','"q"',"'x y'",'%(ENV_HOME)s','%(here)s','10MB','5 kb','0o22','022','8','TERM','sigkill','9','-1','+3','1_0','', 'A=1,B="x,y"','A=1 B=2','K=a b','A=$x','%(group_name)s','%(numprocs)d','%(host_node_name)s','AUTO','NONE','/tmp/x.log','/nonexist/x','syslog','root','nobody','0,1','256','unexpected']
opts = ['command','process_name','numprocs','numprocs_start','priority','autostart','autorestart','startsecs','startretries','exitcodes','stopsignal','stopwaitsecs','stopasgroup','killasgroup','user','directory','umask','redirect_stderr','stdout_logfile','stdout_logfile_maxbytes','stdout_logfile_backups','stdout_capture_maxbytes','stdout_events_enabled','stdout_syslog','stderr_logfile','environment','serverurl','Command','bogus']
supopts=['logfile','logfile_maxbytes','loglevel','umask','nodaemon','minfds','identifier','environment','childlogdir','nocleanup']
files=[]
for i in range(N):
    lines=[]
    lines.append('[supervisord]')
    lines.append('logfile=/tmp/r.log'); lines.append('pidfile=/tmp/r.pid')
    supgood={'logfile':['/tmp/r2.log','syslog','~/r.log'],'logfile_maxbytes':['1MB','0'],'loglevel':['debug','WARN','blather'],'umask':['077','0o2'],
             'nodaemon':['true','0'],'minfds':['2048'],'identifier':['sup-%(ENV_HOME)s','x'],'environment':['G="1",H=%(ENV_HOME)s','X=a%%b','Q="%(here)s"'],
             'childlogdir':['/tmp','%(here)s'],'nocleanup':['yes']}
    for _ in range(random.randint(0,2)):
        o=random.choice(supopts)
        v=random.choice(vals) if random.random()<0.1 else random.choice(supgood[o])
        if o == 'umask' and v.startswith('-'):
            v = '022'  # superd rejects negative masks (docs/COMPATIBILITY.md)
        lines.append('%s=%s' % (o, v))
    if random.random() < 0.4:
        lines.append(random.choice(['[unix_http_server]', '[unix_http_server:x]']))
        lines.append('file=%s' % random.choice(['/tmp/s.sock', '%(here)s/s.sock', ' /tmp/a b.sock ', '~/s.sock']))
        for k, vs in (('chmod', ['0777', '700', '8', '0o660']), ('chown', ['root', 'root:root', 'nobody:0', 'nosuch_u']),
                      ('username', ['u', '%(ENV_HOME)s']), ('password', ['p', '{SHA}ab'])):
            if random.random() < 0.3:
                lines.append('%s=%s' % (k, random.choice(vs)))
    if random.random() < 0.4:
        lines.append(random.choice(['[inet_http_server]', '[inet_http_server:b]']))
        lines.append('port=%s' % random.choice(['9001', '*:9001', ':9002', 'LocalHost:80', '127.0.0.1:65535', '0', 'x:70000', '']))
        if random.random() < 0.3:
            lines.append('username=admin')
        if random.random() < 0.3:
            lines.append('password=%(ENV_HOME)s')
    if random.random() < 0.3:
        lines.append('[supervisorctl]')
        for k, vs in (('serverurl', ['unix:///tmp/s.sock', 'unix://%(here)s/../s.sock', 'http://localhost:9001', 'AUTO']),
                      ('prompt', ['p', '%(ENV_HOME)s']), ('history_file', ['~/.h', '%(here)s/h', '']),
                      ('username', ['u']), ('password', ['%(nope)s', 'x'])):
            if random.random() < 0.4:
                lines.append('%s=%s' % (k, random.choice(vs)))
    progs=[]
    for p in range(random.randint(1,4)):
        name=random.choice(['a','b','c','web','worker']) if random.random()<0.95 else random.choice(['d e','x/y'])
        kind=random.choice(['program','program','program','eventlistener','group','fcgi-program'])
        lines.append('[%s:%s]' % (kind, name))
        if kind == 'group':
            members=random.sample(progs, k=min(len(progs), random.randint(0,2))) if progs else []
            if random.random()<0.1: members.append('ghost')
            lines.append('programs=%s' % ','.join(members))
            if random.random()<0.5: lines.append('priority=%s' % random.choice(['5','-1','x','%(ENV_HOME)s']))
            continue
        if kind in ('program', 'fcgi-program'):
            progs.append(name)
        if kind == 'fcgi-program':
            if random.random()<0.9: lines.append('socket=%s' % random.choice(['tcp://127.0.0.1:9000','unix:///tmp/%(program_name)s.sock','unix://%(here)s/x.sock','tcp://LocalHost:90000','foo','unix://rel','tcp://h:0','tcp://%(process_num)s:1','','unix:///tmp/../a//b.sock']))
            for k, vs in (('socket_backlog', ['5','0','x','65536']), ('socket_owner', ['root','root:root','nobody:0','nosuch_u']), ('socket_mode', ['0660','9','0o7'])):
                if random.random()<0.2: lines.append('%s=%s' % (k, random.choice(vs)))
        lines.append('command=%s' % random.choice(['/bin/cat','echo %(process_num)d', 'sh -c "a;b"', "x 'y", '/bin/x', 'run %(group_name)s %(program_name)s']))
        if kind == 'eventlistener' and random.random()<0.9: lines.append('events=%s' % random.choice(['TICK_5','PROCESS_STATE,tick_60','process_log_stdout, EVENT','BOGUS']))
        if kind == 'eventlistener' and random.random()<0.3: lines.append('buffer_size=%s' % random.choice(['1','0','50']))
        for _ in range(random.randint(0,4)):
            sep=random.choice(['=',' = ',':','= '])
            o=random.choice(opts)
            good={'command':['x y','sh -c "a | b"',"a\\ b 'c d'",'%(program_name)s %(process_num)s'],'process_name':['%(program_name)s_%(process_num)s','p%(process_num)02d'],'numprocs':['1','2','0'],'numprocs_start':['0','3'],
              'priority':['1','-5',' 7 '],'autostart':['true','no'],'autorestart':['unexpected','TRUE','off'],'startsecs':['0','+2'],'startretries':['1'],'exitcodes':['0','0,2','',' 1 , 3'],'stopsignal':['INT','sigterm','9','rtmax',' hup '],
              'stopwaitsecs':['5'],'stopasgroup':['true','false'],'killasgroup':['true'],'user':['root','nobody','0'],'directory':['/tmp','%(here)s/%(process_num)s'],'umask':['022','0o7','777'],'redirect_stderr':['true','false'],
              'stdout_logfile':['/tmp/%(program_name)s-%(process_num)s.log','AUTO','none','Syslog','~/x.log'],'stdout_logfile_maxbytes':['0','1KB','2 Gb'],'stdout_logfile_backups':['0','3'],'stdout_capture_maxbytes':['1MB'],'stdout_events_enabled':['on'],'stdout_syslog':['1'],
              'stderr_logfile':['/tmp/e.log','OFF'],'environment':['A=1,B="x y"','P="%(process_num)d",Q=%(ENV_HOME)s',"K='v;w'",'A=x#y','X=a b'],'serverurl':['AUTO','http://h:1',''],'Command':['cap'],'bogus':['x']}
            v = random.choice(vals) if random.random()<0.03 else random.choice(good.get(o,['1']))
            if o == 'umask' and v.startswith('-'):
                v = '022'  # superd rejects negative masks (docs/COMPATIBILITY.md)
            lines.append('%s%s%s' % (o, sep, v))
            if random.random()<0.15: lines.append(random.choice(['  cont', '', '  ;c', '\tmore', '#x']))
    if random.random()<0.2: lines.insert(0, '[DEFAULT]\nstartsecs=%s' % random.choice(vals))
    f='%s/r%04d.conf' % (d,i)
    open(f,'w').write('\n'.join(lines)+'\n')
    files.append(f)

