#!/usr/bin/python3
"""A real SMTP server for the tests (Debian's python3-aiosmtpd): every message it accepts
is written to OUT/<n>.eml. Prints "ready PORT" once it listens, then serves until killed.

  smtp_sink.py --port P|0 --out DIR [--tls none|starttls|implicit] [--cert F --key F]
               [--auth USER:PASSWORD] [--rcpt accept|refuse|tempfail]
"""
import argparse
import pathlib
import ssl
import threading
import time

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--out", required=True)
    parser.add_argument("--tls", default="none", choices=["none", "starttls", "implicit"])
    parser.add_argument("--cert")
    parser.add_argument("--key")
    parser.add_argument("--auth")
    parser.add_argument("--rcpt", default="accept", choices=["accept", "refuse", "tempfail"])
    args = parser.parse_args()
    if args.port == 0:  # pick a free one, and say which
        import socket
        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            args.port = probe.getsockname()[1]
    out = pathlib.Path(args.out)
    out.mkdir(parents=True, exist_ok=True)

    class Handler:
        async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
            if args.rcpt == "refuse":
                return "550 5.1.1 no such mailbox"
            if args.rcpt == "tempfail":
                return "451 4.3.0 try again later"
            envelope.rcpt_tos.append(address)
            return "250 OK"

        async def handle_DATA(self, server, session, envelope):
            name = out / f"{time.time_ns()}.eml"
            header = f"X-Envelope-From: {envelope.mail_from}\r\nX-Envelope-To: {','.join(envelope.rcpt_tos)}\r\n"
            # Written aside and renamed into place: a test polling the directory must
            # never read a message that is only half written (it once read an empty one).
            partial = out / f".{name.name}.partial"
            partial.write_bytes(header.encode() + envelope.original_content)
            partial.replace(name)
            return "250 Message accepted"

    def authenticator(server, session, envelope, mechanism, auth_data):
        user, password = args.auth.split(":", 1)
        ok = isinstance(auth_data, LoginPassword) and auth_data.login == user.encode() \
            and auth_data.password == password.encode()
        return AuthResult(success=ok)

    context = None
    if args.tls != "none":
        context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        context.load_cert_chain(args.cert, args.key)
    kwargs = {}
    if args.auth:
        # With implicit TLS aiosmtpd does not see the TLS under it: it must not ask for STARTTLS first.
        kwargs.update(authenticator=authenticator, auth_required=True, auth_require_tls=args.tls == "starttls")
    if args.tls == "starttls":
        kwargs.update(tls_context=context, require_starttls=True)
    if args.tls == "implicit":
        kwargs.update(ssl_context=context, server_hostname="localhost")
    controller = Controller(Handler(), hostname="127.0.0.1", port=args.port, **kwargs)
    controller.start()
    print(f"ready {args.port}", flush=True)
    # Until the test kills it (SIGKILL: see ReadyProcess in the tests).
    threading.Event().wait()


if __name__ == "__main__":
    main()
