"""Real-time seat reservation server: `python server.py --help`.

`python server.py add-show show.json` creates a show on a running server
(app/admin_command.py)."""

from __future__ import annotations

import asyncio
import logging
import signal
import sys

from app.admin_command import add_show
from app.config import Config, parse_config
from app.store import StorageUnavailable
from app.workers import supervise
from application import ConfigurationError, SeatServer


async def main(argv: list[str], config: Config) -> int:
    # Access lines are already formatted (text or JSON, with their own timestamp):
    # print them bare, one request per line, with nothing in front.
    access = logging.StreamHandler()
    access.setFormatter(logging.Formatter("%(message)s"))
    logging.getLogger("seats.access").addHandler(access)
    logging.getLogger("seats.access").propagate = False
    try:
        server = SeatServer(config)
    except (ConfigurationError, StorageUnavailable) as error:
        logging.getLogger("seats").error("%s", error)
        return 2
    server.start()
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(signum, stop.set)
    await stop.wait()
    logging.getLogger("seats").info("shutting down")
    await server.shutdown()
    return 0


def run(argv: list[str]) -> int:
    config = parse_config(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s %(message)s")
    if config.workers > 1:
        return supervise(argv, config.workers, config.metrics_address)
    return asyncio.run(main(argv, config))


if __name__ == "__main__":
    if sys.argv[1:2] == ["add-show"]:
        sys.exit(add_show(sys.argv[2:]))
    sys.exit(run(sys.argv[1:]))
