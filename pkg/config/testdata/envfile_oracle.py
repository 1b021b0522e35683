"""Reads env files with systemd's own parser (load_env_file, the one
EnvironmentFile= uses) from libsystemd-shared through ctypes.

Usage: envfile_oracle.py LIB FILE...; prints one JSON line per file:
the list of "KEY=value" strings systemd loads, or {"error": errno}.
"""
import ctypes
import json
import sys

lib = ctypes.CDLL(sys.argv[1])
lib.load_env_file.argtypes = [ctypes.c_void_p, ctypes.c_char_p,
                              ctypes.POINTER(ctypes.POINTER(ctypes.c_char_p))]
lib.load_env_file.restype = ctypes.c_int
for path in sys.argv[2:]:
    out = ctypes.POINTER(ctypes.c_char_p)()
    r = lib.load_env_file(None, path.encode(), ctypes.byref(out))
    if r < 0:
        print(json.dumps({"error": r}))
        continue
    res, i = [], 0
    while out and out[i]:
        res.append(out[i].decode('utf-8', 'surrogateescape'))
        i += 1
    print(json.dumps(res))
