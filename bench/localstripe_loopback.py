"""Run localstripe as its `localstripe` command does, but bound to 127.0.0.1.

localstripe's own entry point listens on every interface (`::`); the
benchmark keeps all traffic on loopback, so it serves the same aiohttp
application, with the same access logger, on 127.0.0.1:PORT. Its store
starts empty (`--from-scratch`).

    python localstripe_loopback.py PORT
"""

import logging
import sys

from aiohttp import web
from localstripe.server import app


def main() -> None:
    port = int(sys.argv[1])
    logger = logging.getLogger("aiohttp.access")
    logger.setLevel(logging.DEBUG)
    logger.addHandler(logging.StreamHandler())
    web.run_app(app, host="127.0.0.1", port=port, access_log=logger)


if __name__ == "__main__":
    main()
