"""A socket-activated server for the listen= tests: it checks
LISTEN_PID against its own pid, then answers every connection on each
passed socket (fds 3..) with "<pid> <name> <uid>\n"."""
import os
import socket
import sys
import threading

if os.environ.get("LISTEN_PID") != str(os.getpid()):
    sys.exit("LISTEN_PID %r is not my pid %d" % (os.environ.get("LISTEN_PID"), os.getpid()))
n = int(os.environ["LISTEN_FDS"])
names = os.environ.get("LISTEN_FDNAMES", "").split(":")


def serve(fd, name):
    s = socket.socket(fileno=fd)
    while True:
        c, _ = s.accept()
        c.sendall(b"%d %s %d\n" % (os.getpid(), name.encode(), os.getuid()))
        c.close()


for i in range(n):
    threading.Thread(target=serve, args=(3 + i, names[i]), daemon=True).start()
threading.Event().wait()
