"""A small OTLP/HTTP trace receiver for the tests (docs/tracing.md).

It accepts what a collector accepts on POST /v1/traces (protobuf, optionally gzip),
decodes it with the OpenTelemetry protobuf definitions (PyPI's opentelemetry-proto)
and keeps the spans in memory, so a test can ask what arrived:

  GET    /spans          every span so far, as JSON (ids in hex)
  DELETE /spans          forget them
  GET    /health         200

With --count-only it decodes nothing and counts requests and bytes (GET /stats): the
benchmark's receiver, which must not be the bottleneck it measures.
"""
import argparse
import gzip
import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

LOCK = threading.Lock()
SPANS = []
STATS = {"requests": 0, "bytes": 0}
COUNT_ONLY = False


def attribute_value(value):
    kind = value.WhichOneof("value")
    if kind is None:
        return None
    if kind == "array_value":
        return [attribute_value(v) for v in value.array_value.values]
    if kind == "kvlist_value":
        return {kv.key: attribute_value(kv.value) for kv in value.kvlist_value.values}
    if kind == "bytes_value":
        return value.bytes_value.hex()
    return getattr(value, kind)


def decode(body):
    from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import ExportTraceServiceRequest

    request = ExportTraceServiceRequest()
    request.ParseFromString(body)
    spans = []
    for resource_spans in request.resource_spans:
        resource = {kv.key: attribute_value(kv.value) for kv in resource_spans.resource.attributes}
        for scope_spans in resource_spans.scope_spans:
            for span in scope_spans.spans:
                spans.append({
                    "service": resource.get("service.name"),
                    "trace_id": span.trace_id.hex(),
                    "span_id": span.span_id.hex(),
                    "parent_span_id": span.parent_span_id.hex(),
                    "name": span.name,
                    "kind": span.kind,
                    "start_ns": span.start_time_unix_nano,
                    "end_ns": span.end_time_unix_nano,
                    "status_code": span.status.code,
                    "status_message": span.status.message,
                    "attributes": {kv.key: attribute_value(kv.value) for kv in span.attributes},
                    "links": [{"trace_id": l.trace_id.hex(), "span_id": l.span_id.hex()} for l in span.links],
                })
    return spans


class Handler(BaseHTTPRequestHandler):
    def log_message(self, *args):
        pass

    def reply(self, status, body=b"", content_type="application/json"):
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def do_POST(self):
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length)
        if self.path != "/v1/traces":
            return self.reply(404)
        with LOCK:
            STATS["requests"] += 1
            STATS["bytes"] += len(body)
        if not COUNT_ONLY:
            if self.headers.get("Content-Encoding") == "gzip":
                body = gzip.decompress(body)
            try:
                spans = decode(body)
            except Exception as error:  # a malformed export is the exporter's bug: say so
                return self.reply(400, json.dumps({"error": str(error)}).encode())
            with LOCK:
                SPANS.extend(spans)
        # An empty ExportTraceServiceResponse is zero bytes of protobuf.
        self.reply(200, b"", "application/x-protobuf")

    def do_GET(self):
        if self.path == "/health":
            return self.reply(200, b"{}")
        if self.path == "/stats":
            with LOCK:
                return self.reply(200, json.dumps(STATS).encode())
        if self.path == "/spans":
            with LOCK:
                return self.reply(200, json.dumps(SPANS).encode())
        self.reply(404)

    def do_DELETE(self):
        if self.path == "/spans":
            with LOCK:
                SPANS.clear()
            return self.reply(204)
        self.reply(404)


def main():
    global COUNT_ONLY
    parser = argparse.ArgumentParser()
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--count-only", action="store_true")
    arguments = parser.parse_args()
    COUNT_ONLY = arguments.count_only
    if not COUNT_ONLY:
        decode(b"")  # fail at start, not at the first export, if the definitions are missing
    ThreadingHTTPServer(("127.0.0.1", arguments.port), Handler).serve_forever()


if __name__ == "__main__":
    main()
