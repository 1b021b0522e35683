"""A FastCGI-style child for the [fcgi-program:x] tests: accept on fd 0
(the socket supervisord/superd passes as stdin) and answer every
connection with "<pid> <name>\n"."""
import os
import socket
import sys

s = socket.socket(fileno=0)
while True:
    c, _ = s.accept()
    c.sendall(b"%d %s\n" % (os.getpid(), sys.argv[1].encode()))
    c.close()
