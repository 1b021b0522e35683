"""A tiny WSGI app for the gunicorn socket activation test: it answers
with the pid of the gunicorn master that runs it (the worker's parent)."""
import os


def app(environ, start_response):
    body = b"%d\n" % os.getppid()
    start_response("200 OK", [("Content-Type", "text/plain"), ("Content-Length", str(len(body)))])
    return [body]
