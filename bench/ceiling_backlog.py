"""Runs ../shared/peers/tornado-ceiling/ceiling.py with the listen backlog this
project uses (4096) instead of Tornado's default 128, so that in a burst of new
connections the ceiling is held back by Tornado's per-connection work, not by
SYNs the kernel drops. Usage: python bench/ceiling_backlog.py CEILING_PY PORT"""

from __future__ import annotations

import functools
import runpy
import sys

import tornado.web

LISTEN_BACKLOG = 4096

tornado.web.Application.listen = functools.partialmethod(tornado.web.Application.listen, backlog=LISTEN_BACKLOG)
path, port = sys.argv[1:3]
sys.argv = [path, port]
runpy.run_path(path, run_name="__main__")
