// A small C layer over librabbitmq 0.11 (Debian's librabbitmq-dev) for CloudTask's
// AMQP adapter. It exists because `amqp_login` is variadic (not callable from Swift)
// and because the frame loops (confirm waiting, reading returned messages) and the
// field tables of queue arguments are far clearer in C than through Swift's view of
// C unions. Every function is blocking and must run on the thread that owns the
// connection; none is thread-safe. Errors are written into `error` (for logs only).
#ifndef CLOUDTASK_CAMQP_H
#define CLOUDTASK_CAMQP_H

#include <amqp.h>
#include <amqp_framing.h>
#include <stddef.h>
#include <stdint.h>

/// Connects (TCP, or TLS with peer and host-name verification against `cacert`),
/// logs in with PLAIN credentials, opens channel 1. NULL on failure.
amqp_connection_state_t cloudtask_amqp_connect(const char *host, int port, int tls, const char *cacert,
                                               const char *vhost, const char *user, const char *password,
                                               int heartbeat_seconds, int timeout_ms, char *error, size_t error_size);

/// Closes channel and connection politely (best effort) and frees everything.
void cloudtask_amqp_close(amqp_connection_state_t conn);

/// Declares CloudTask's exchanges, queues and bindings (idempotent), every name
/// prefixed with `prefix` (empty in production; tests isolate themselves). 0 on success.
int cloudtask_amqp_declare_topology(amqp_connection_state_t conn, const char *prefix, char *error, size_t error_size);

/// Puts channel 1 in confirm mode. 0 on success.
int cloudtask_amqp_confirm_select(amqp_connection_state_t conn, char *error, size_t error_size);

/// Publishes one persistent JSON message. With `mandatory` non-zero an unroutable one
/// comes back (and the wait for confirmations reports it refused). A non-NULL `dead_reason` goes in the header `x-cloudtask-dead-reason` (a message set
/// aside on the dead-letter exchange says why). A non-NULL `traceparent` goes in the
/// header `traceparent` (W3C trace context: docs/tracing.md).
int cloudtask_amqp_publish(amqp_connection_state_t conn, const char *exchange, const char *routing_key,
                           const void *body, size_t body_len, const char *type, const char *message_id,
                           int priority, const char *dead_reason, const char *traceparent, int mandatory,
                           char *error, size_t error_size);

/// Waits until the broker confirmed delivery tags first...last. 0: all acked; 1: some
/// were nacked or returned (not safely stored: publish again); -1: connection broken
/// or timed out.
int cloudtask_amqp_wait_confirms(amqp_connection_state_t conn, uint64_t first, uint64_t last, int timeout_ms,
                                 char *error, size_t error_size);

/// Stops the consumer started by cloudtask_amqp_consume (basic.cancel): the broker
/// delivers nothing more, and what was delivered can still be acknowledged on this
/// channel. Deliveries already on their way may still arrive. 0 on success.
int cloudtask_amqp_cancel(amqp_connection_state_t conn, char *error, size_t error_size);

/// Starts consuming `queue` on channel 1 with manual acks and the given prefetch.
/// With `queue` NULL, declares an exclusive, auto-delete queue bound to the fanout
/// exchange `control_exchange` (one queue per worker) and consumes that. 0 on success.
int cloudtask_amqp_consume(amqp_connection_state_t conn, const char *queue, const char *control_exchange, int prefetch,
                           char *error, size_t error_size);

/// Copies the string header `key` of a delivery into `out` (NUL-terminated). Returns its
/// length, or -1 when it is absent, not a string, or does not fit in `out_size`.
int cloudtask_amqp_header(const amqp_envelope_t *envelope, const char *key, char *out, size_t out_size);

/// Waits up to `timeout_ms` for the next delivery. 1: `envelope` filled (free it with
/// amqp_destroy_envelope); 0: nothing arrived (heartbeats were serviced); -1: broken.
int cloudtask_amqp_next(amqp_connection_state_t conn, int timeout_ms, amqp_envelope_t *envelope, char *error, size_t error_size);

/// Settles a delivery on channel 1: 0 ack, 1 requeue, 2 reject (dead-letter). 0 on success.
int cloudtask_amqp_settle(amqp_connection_state_t conn, uint64_t tag, int how, char *error, size_t error_size);

/// Lets an idle connection read and send heartbeats. 0 fine; -1 broken.
int cloudtask_amqp_service(amqp_connection_state_t conn, char *error, size_t error_size);

#endif
