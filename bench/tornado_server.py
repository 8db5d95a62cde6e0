"""Tornado 6 implementation of the protocol subset the benchmarks use (PROTOCOL.md 1, 4, 5, /stats).

Idiomatic Tornado, in the shape of its own demos: long polling as in demos/chat/chatdemo.py (a
future per waiting request), WebSocketHandler for /ws/prime and /ws/feed, a held RequestHandler
with write()+flush() for server-sent events. One process, one IOLoop, like the Node servers.

Run: /usr/bin/python3 bench/tornado_server.py [--port N]; prints `listening http://127.0.0.1:PORT`.
"""

import argparse
import asyncio
import collections
import json
import re
import time

import tornado
import tornado.httpserver
import tornado.netutil
import tornado.web
import tornado.websocket

RETAIN = 10_000
POLL_BATCH = 1_000
BASES = (2, 3, 5, 7, 11, 13, 17, 19, 23, 29, 31, 37, 41)
INTEGER = re.compile(r"^\s*([+-]?)(\d{1,24})\s*$")


def is_prime(n):
    if n < 2:
        return False
    for p in BASES:
        if n == p:
            return True
        if n % p == 0:
            return False
    d, s = n - 1, 0
    while d % 2 == 0:
        d //= 2
        s += 1
    for a in BASES:
        x = pow(a, d, n)
        if x == 1 or x == n - 1:
            continue
        for _ in range(s - 1):
            x = x * x % n
            if x == n - 1:
                break
        else:
            return False
    return True


class Feed:
    def __init__(self):
        self.messages = collections.deque(maxlen=RETAIN)
        self.last_seq = 0
        self.polls = set()
        self.sockets = set()
        self.streams = set()

    def oldest(self):
        return self.messages[0]["seq"] if self.messages else self.last_seq + 1

    def after(self, cursor, limit):
        start = max(0, cursor + 1 - self.oldest())
        return [self.messages[i] for i in range(start, min(len(self.messages), start + limit))]

    def publish(self, data):
        self.last_seq += 1
        message = {"seq": self.last_seq, "data": data}
        self.messages.append(message)
        frame = json.dumps(message)
        poll_body = '{"cursor":%d,"messages":[%s]}' % (message["seq"], frame)
        polls, self.polls = self.polls, set()
        for poll in polls:
            if poll.cursor == message["seq"] - 1:
                poll.wake(poll_body)
            else:
                batch = self.after(poll.cursor, POLL_BATCH)
                poll.wake(json.dumps({"cursor": batch[-1]["seq"], "messages": batch}))
        for socket in list(self.sockets):
            try:
                socket.write_message(frame)
            except tornado.websocket.WebSocketClosedError:
                self.sockets.discard(socket)
        event = sse_event(message)
        for stream in self.streams:
            stream.write(event)
            stream.flush()
        return message["seq"]

    def keep_alive(self):
        for stream in self.streams:
            stream.write(": keep-alive\n\n")
            stream.flush()

    def expire_polls(self):
        now = time.monotonic()
        for poll in [p for p in self.polls if p.deadline <= now]:
            self.polls.discard(poll)
            poll.wake('{"cursor":%d,"messages":[]}' % poll.cursor)


def sse_event(message):
    lines = re.split(r"\r\n|\r|\n", message["data"])
    return "id: %d\n%s\n" % (message["seq"], "".join("data: %s\n" % line for line in lines))


class LagSampler:
    """Event-loop lag: how late a 10 ms timer fires, the same resolution as the Node servers use."""

    def __init__(self):
        self.samples = []
        self.loop = asyncio.get_running_loop()
        self.expected = self.loop.time() + 0.01
        self.loop.call_at(self.expected, self.tick)

    def tick(self):
        now = self.loop.time()
        self.samples.append((now - self.expected) * 1000)
        if len(self.samples) > 100_000:
            self.samples = self.samples[-50_000:]
        self.expected = now + 0.01
        self.loop.call_at(self.expected, self.tick)

    def take(self):
        samples, self.samples = sorted(self.samples), []
        if not samples:
            return 0.0, 0.0
        return samples[min(len(samples) - 1, int(len(samples) * 0.99))], samples[-1]


def read_rss():
    with open("/proc/self/status") as status:
        for line in status:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) * 1024
    return 0


class JsonHandler(tornado.web.RequestHandler):
    def send_json(self, status, body):
        self.set_status(status)
        self.set_header("Content-Type", "application/json")
        self.finish(body if isinstance(body, str) else json.dumps(body))

    def write_error(self, status_code, **kwargs):
        code = {404: "not_found", 405: "method_not_allowed", 413: "payload_too_large"}.get(status_code, "bad_request")
        self.set_header("Content-Type", "application/json")
        self.finish(json.dumps({"error": code, "message": self._reason}))

    def read_cursor(self, raw):
        feed = self.application.feed
        if raw is None:
            return feed.last_seq
        if not re.fullmatch(r"\d{1,15}", raw):
            self.send_json(400, {"error": "bad_request", "message": "cursor must be an integer >= 0"})
            return None
        cursor = int(raw)
        if cursor > feed.last_seq:
            self.send_json(400, {"error": "bad_cursor", "message": "cursor is newer than the newest message"})
            return None
        if 0 < cursor < feed.oldest() - 1:
            body = {"error": "cursor_expired", "message": "cursor left the window", "oldest": feed.oldest()}
            self.send_json(410, body)
            return None
        return cursor


class NotFound(JsonHandler):
    def prepare(self):
        raise tornado.web.HTTPError(404)


class HelloHandler(tornado.web.RequestHandler):
    def get(self):
        self.set_header("Content-Type", "text/plain")
        self.write("Hello, world")


class PublishHandler(JsonHandler):
    def post(self):
        self.send_json(200, {"seq": self.application.feed.publish(self.request.body.decode("utf-8"))})


class PollHandler(JsonHandler):
    async def get(self):
        raw_timeout = self.get_query_argument("timeout", "25")
        if not re.fullmatch(r"\d{1,3}", raw_timeout) or not 1 <= int(raw_timeout) <= 120:
            return self.send_json(400, {"error": "bad_request", "message": "timeout must be 1..120"})
        cursor = self.read_cursor(self.get_query_argument("cursor", None))
        if cursor is None:
            return
        feed = self.application.feed
        batch = feed.after(cursor, POLL_BATCH)
        if batch:
            return self.send_json(200, {"cursor": batch[-1]["seq"], "messages": batch})
        self.cursor = cursor
        self.deadline = time.monotonic() + int(raw_timeout)
        self.waiting = asyncio.get_running_loop().create_future()
        feed.polls.add(self)
        body = await self.waiting
        if body is not None:
            self.send_json(200, body)

    def wake(self, body):
        if not self.waiting.done():
            self.waiting.set_result(body)

    def on_connection_close(self):
        self.application.feed.polls.discard(self)
        if hasattr(self, "waiting"):
            self.wake(None)


class EventsHandler(JsonHandler):
    async def get(self):
        cursor = self.read_cursor(self.request.headers.get("Last-Event-ID") or self.get_query_argument("cursor", None))
        if cursor is None:
            return
        feed = self.application.feed
        self.set_header("Content-Type", "text/event-stream")
        self.set_header("Cache-Control", "no-cache")
        for message in feed.after(cursor, RETAIN):
            self.write(sse_event(message))
        self.flush()
        self.closed = asyncio.get_running_loop().create_future()
        feed.streams.add(self)
        await self.closed

    def on_connection_close(self):
        self.application.feed.streams.discard(self)
        if hasattr(self, "closed") and not self.closed.done():
            self.closed.set_result(None)


class StatsHandler(JsonHandler):
    def get(self):
        feed = self.application.feed
        p99, worst = self.application.lag.take()
        self.send_json(
            200,
            {
                "time": int(time.time() * 1000),
                "connections": {
                    "wsPrime": len(self.application.prime_sockets),
                    "wsFeed": len(feed.sockets),
                    "sse": len(feed.streams),
                    "longPoll": len(feed.polls),
                },
                "eventLoop": {"p99Ms": p99, "maxMs": worst},
                "memory": {"rssBytes": read_rss()},
            },
        )


class PrimeSocket(tornado.websocket.WebSocketHandler):
    def open(self):
        self.application.prime_sockets.add(self)

    def on_message(self, message):
        if isinstance(message, bytes):
            return self.close(1003, "text frames only")
        match = INTEGER.match(message)
        if not match:
            return self.write_message('{"error":"bad_integer","message":"send a decimal integer of at most 24 digits"}')
        n = int(match.group(2)) * (-1 if match.group(1) == "-" else 1)
        self.write_message('{"n":"%d","prime":%s}' % (n, "true" if is_prime(n) else "false"))

    def on_close(self):
        self.application.prime_sockets.discard(self)


class FeedSocket(tornado.websocket.WebSocketHandler):
    def prepare(self):
        feed = self.application.feed
        raw = self.get_query_argument("cursor", None)
        if raw is not None and not re.fullmatch(r"\d{1,15}", raw):
            raise tornado.web.HTTPError(400)
        cursor = feed.last_seq if raw is None else int(raw)
        if cursor > feed.last_seq or 0 < cursor < feed.oldest() - 1:
            raise tornado.web.HTTPError(400)
        self.cursor = cursor

    def open(self):
        feed = self.application.feed
        for message in feed.after(self.cursor, RETAIN):
            self.write_message(json.dumps(message))
        feed.sockets.add(self)

    def on_message(self, message):
        pass

    def on_close(self):
        self.application.feed.sockets.discard(self)


async def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--port", type=int, default=0)
    args = parser.parse_args()
    app = tornado.web.Application(
        [
            (r"/", HelloHandler),
            (r"/feed", PublishHandler),
            (r"/feed/poll", PollHandler),
            (r"/feed/events", EventsHandler),
            (r"/stats", StatsHandler),
            (r"/ws/prime", PrimeSocket),
            (r"/ws/feed", FeedSocket),
        ],
        default_handler_class=NotFound,
        websocket_ping_interval=30,
        # Tornado closes when no pong came within the timeout *at the next ping*, measured from the
        # previous pong; a timeout equal to the interval would close every socket at the first ping.
        websocket_ping_timeout=45,
        websocket_max_message_size=1024,
    )
    app.feed = Feed()
    app.prime_sockets = set()
    app.lag = LagSampler()
    tornado.ioloop.PeriodicCallback(app.feed.expire_polls, 250).start()
    tornado.ioloop.PeriodicCallback(app.feed.keep_alive, 15_000).start()
    sockets = tornado.netutil.bind_sockets(args.port, "127.0.0.1", backlog=511)
    server = tornado.httpserver.HTTPServer(app, max_body_size=64 * 1024)
    server.add_sockets(sockets)
    print("listening http://127.0.0.1:%d (tornado %s)" % (sockets[0].getsockname()[1], tornado.version), flush=True)
    await asyncio.Event().wait()


if __name__ == "__main__":
    asyncio.run(main())
