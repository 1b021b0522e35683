#!/usr/bin/env python3
"""Evaluate small inputs the way supervisord 4.2.5 does, for
TestPiecesDifferential. Reads a JSON list of [kind, input] pairs on stdin
and prints a JSON list of results: {"ok": value} or {"err": message}.
"""
import json
import shlex
import sys

sys.path.append('/usr/lib/python3/dist-packages')

from supervisor import datatypes, options  # noqa: E402

MAPPING = {'s': 'ab', 'n': 7, 'q': "it's", 'e': ''}


def ini(text):
    p = options.UnhosedConfigParser()
    p.read_string(text, 'f.conf')
    out = {}
    if p.defaults():
        out['DEFAULT'] = dict(p.defaults())
    for s in p.sections():
        out[s] = {k: p.get(s, k) for k in p.options(s)}
    return out


def env(s):
    return [[k, v] for k, v in datatypes.dict_of_key_value_pairs(s).items()]


KINDS = {
    'format': lambda s: s % MAPPING,
    'env': env,
    'shlex': shlex.split,
    'ini': ini,
    'int': datatypes.integer,
    'bytes': datatypes.byte_size,
    'octal': datatypes.octal_type,
    'signal': datatypes.signal_number,
    'bool': datatypes.boolean,
    'exitcodes': datatypes.list_of_exitcodes,
    'name': datatypes.process_or_group_name,
    'inet': lambda s: list(datatypes.inet_address(s)),
}


def main():
    res = []
    for kind, inp in json.load(sys.stdin):
        try:
            res.append({'ok': KINDS[kind](inp)})
        except Exception as e:  # noqa: BLE001 - we report every failure
            msg = str(e)
            if isinstance(e, KeyError):
                msg = 'KeyError ' + msg
            res.append({'err': type(e).__name__ + ': ' + msg})
    json.dump(res, sys.stdout)


main()
