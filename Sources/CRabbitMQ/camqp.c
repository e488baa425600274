#include "camqp.h"

#include <amqp_ssl_socket.h>
#include <amqp_tcp_socket.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/time.h>

#define CHANNEL 1
/// One consumer per connection, so one fixed tag: what basic.cancel names.
#define CONSUMER_TAG "cloudtask"

static void set_error(char *error, size_t size, const char *format, ...) {
    if (!error || size == 0) return;
    va_list args;
    va_start(args, format);
    vsnprintf(error, size, format, args);
    va_end(args);
}

/// Describes an RPC reply that is not normal; returns 0 when it is normal.
static int check_reply(amqp_rpc_reply_t reply, const char *what, char *error, size_t size) {
    switch (reply.reply_type) {
    case AMQP_RESPONSE_NORMAL:
        return 0;
    case AMQP_RESPONSE_NONE:
        set_error(error, size, "%s: missing RPC reply", what);
        return -1;
    case AMQP_RESPONSE_LIBRARY_EXCEPTION:
        set_error(error, size, "%s: %s", what, amqp_error_string2(reply.library_error));
        return -1;
    case AMQP_RESPONSE_SERVER_EXCEPTION:
        if (reply.reply.id == AMQP_CONNECTION_CLOSE_METHOD) {
            amqp_connection_close_t *m = (amqp_connection_close_t *)reply.reply.decoded;
            set_error(error, size, "%s: server closed the connection: %u %.*s", what, m->reply_code,
                      (int)m->reply_text.len, (char *)m->reply_text.bytes);
        } else if (reply.reply.id == AMQP_CHANNEL_CLOSE_METHOD) {
            amqp_channel_close_t *m = (amqp_channel_close_t *)reply.reply.decoded;
            set_error(error, size, "%s: server closed the channel: %u %.*s", what, m->reply_code,
                      (int)m->reply_text.len, (char *)m->reply_text.bytes);
        } else {
            set_error(error, size, "%s: server error, method 0x%08X", what, reply.reply.id);
        }
        return -1;
    }
    set_error(error, size, "%s: unknown reply", what);
    return -1;
}

amqp_connection_state_t cloudtask_amqp_connect(const char *host, int port, int tls, const char *cacert,
                                               const char *vhost, const char *user, const char *password,
                                               int heartbeat_seconds, int timeout_ms, char *error, size_t error_size) {
    amqp_connection_state_t conn = amqp_new_connection();
    if (!conn) {
        set_error(error, error_size, "out of memory");
        return NULL;
    }
    amqp_socket_t *socket = NULL;
    if (tls) {
        socket = amqp_ssl_socket_new(conn);
        if (socket) {
            amqp_ssl_socket_set_verify_peer(socket, 1);
            amqp_ssl_socket_set_verify_hostname(socket, 1);
            if (amqp_ssl_socket_set_cacert(socket, cacert) != AMQP_STATUS_OK) {
                set_error(error, error_size, "cannot read the CA file %s", cacert);
                amqp_destroy_connection(conn);
                return NULL;
            }
        }
    } else {
        socket = amqp_tcp_socket_new(conn);
    }
    if (!socket) {
        set_error(error, error_size, "cannot create a socket");
        amqp_destroy_connection(conn);
        return NULL;
    }
    struct timeval timeout = {timeout_ms / 1000, (timeout_ms % 1000) * 1000};
    int status = amqp_socket_open_noblock(socket, host, port, &timeout);
    if (status != AMQP_STATUS_OK) {
        set_error(error, error_size, "cannot connect to %s:%d: %s", host, port, amqp_error_string2(status));
        amqp_destroy_connection(conn);
        return NULL;
    }
    amqp_set_handshake_timeout(conn, &timeout);
    amqp_set_rpc_timeout(conn, &timeout);
    amqp_rpc_reply_t reply = amqp_login(conn, vhost, 0, 131072, heartbeat_seconds, AMQP_SASL_METHOD_PLAIN, user, password);
    if (check_reply(reply, "login", error, error_size) != 0) {
        amqp_destroy_connection(conn);
        return NULL;
    }
    amqp_channel_open(conn, CHANNEL);
    if (check_reply(amqp_get_rpc_reply(conn), "channel.open", error, error_size) != 0) {
        amqp_destroy_connection(conn);
        return NULL;
    }
    return conn;
}

void cloudtask_amqp_close(amqp_connection_state_t conn) {
    if (!conn) return;
    amqp_channel_close(conn, CHANNEL, AMQP_REPLY_SUCCESS);
    amqp_connection_close(conn, AMQP_REPLY_SUCCESS);
    amqp_destroy_connection(conn);
}

static int declare_exchange(amqp_connection_state_t conn, const char *name, const char *type, char *error, size_t size) {
    amqp_exchange_declare(conn, CHANNEL, amqp_cstring_bytes(name), amqp_cstring_bytes(type), 0, 1, 0, 0, amqp_empty_table);
    return check_reply(amqp_get_rpc_reply(conn), name, error, size);
}

/// A durable queue; `max_priority` > 0 adds x-max-priority; `dead_letter` adds
/// x-dead-letter-exchange.
static int declare_queue(amqp_connection_state_t conn, const char *name, int max_priority, const char *dead_letter,
                         char *error, size_t size) {
    amqp_table_entry_t entries[2];
    int count = 0;
    if (max_priority > 0) {
        entries[count].key = amqp_cstring_bytes("x-max-priority");
        entries[count].value.kind = AMQP_FIELD_KIND_I32;
        entries[count].value.value.i32 = max_priority;
        count++;
    }
    if (dead_letter) {
        entries[count].key = amqp_cstring_bytes("x-dead-letter-exchange");
        entries[count].value.kind = AMQP_FIELD_KIND_UTF8;
        entries[count].value.value.bytes = amqp_cstring_bytes(dead_letter);
        count++;
    }
    amqp_table_t arguments = {count, entries};
    amqp_queue_declare(conn, CHANNEL, amqp_cstring_bytes(name), 0, 1, 0, 0, arguments);
    return check_reply(amqp_get_rpc_reply(conn), name, error, size);
}

static int bind(amqp_connection_state_t conn, const char *queue, const char *exchange, const char *key, char *error, size_t size) {
    amqp_queue_bind(conn, CHANNEL, amqp_cstring_bytes(queue), amqp_cstring_bytes(exchange), amqp_cstring_bytes(key), amqp_empty_table);
    return check_reply(amqp_get_rpc_reply(conn), queue, error, size);
}

int cloudtask_amqp_declare_topology(amqp_connection_state_t conn, const char *prefix, char *error, size_t size) {
    // docs/messages.md describes every one of these; keep the two in step.
    char jobs[256], dead[256], control[256], created[256], completed[256], dead_queue[256];
    snprintf(jobs, sizeof jobs, "%scloudtask.jobs", prefix);
    snprintf(dead, sizeof dead, "%scloudtask.dead", prefix);
    snprintf(control, sizeof control, "%scloudtask.control", prefix);
    snprintf(created, sizeof created, "%sjobs.created", prefix);
    snprintf(completed, sizeof completed, "%sjobs.completed", prefix);
    snprintf(dead_queue, sizeof dead_queue, "%sjobs.dead", prefix);
    if (declare_exchange(conn, jobs, "topic", error, size)) return -1;
    if (declare_exchange(conn, dead, "fanout", error, size)) return -1;
    if (declare_exchange(conn, control, "fanout", error, size)) return -1;
    if (declare_queue(conn, created, 9, dead, error, size)) return -1;
    if (declare_queue(conn, completed, 0, dead, error, size)) return -1;
    if (declare_queue(conn, dead_queue, 0, NULL, error, size)) return -1;
    if (bind(conn, created, jobs, "job.created", error, size)) return -1;
    if (bind(conn, completed, jobs, "job.started", error, size)) return -1;
    if (bind(conn, completed, jobs, "job.output", error, size)) return -1;
    if (bind(conn, completed, jobs, "job.finished", error, size)) return -1;
    if (bind(conn, completed, jobs, "job.reports", error, size)) return -1;
    if (bind(conn, dead_queue, dead, "", error, size)) return -1;
    return 0;
}

int cloudtask_amqp_confirm_select(amqp_connection_state_t conn, char *error, size_t size) {
    amqp_confirm_select(conn, CHANNEL);
    return check_reply(amqp_get_rpc_reply(conn), "confirm.select", error, size);
}

int cloudtask_amqp_publish(amqp_connection_state_t conn, const char *exchange, const char *routing_key,
                           const void *body, size_t body_len, const char *type, const char *message_id,
                           int priority, const char *dead_reason, const char *traceparent, int mandatory, char *error,
                           size_t size) {
    amqp_basic_properties_t props;
    memset(&props, 0, sizeof props);
    props._flags = AMQP_BASIC_CONTENT_TYPE_FLAG | AMQP_BASIC_DELIVERY_MODE_FLAG | AMQP_BASIC_TYPE_FLAG |
                   AMQP_BASIC_MESSAGE_ID_FLAG | AMQP_BASIC_PRIORITY_FLAG;
    props.content_type = amqp_cstring_bytes("application/json");
    props.delivery_mode = AMQP_DELIVERY_PERSISTENT;
    props.type = amqp_cstring_bytes(type);
    props.message_id = amqp_cstring_bytes(message_id);
    props.priority = (uint8_t)priority;
    amqp_table_entry_t headers[2];
    int count = 0;
    if (dead_reason) {
        headers[count].key = amqp_cstring_bytes("x-cloudtask-dead-reason");
        headers[count].value.kind = AMQP_FIELD_KIND_UTF8;
        headers[count].value.value.bytes = amqp_cstring_bytes(dead_reason);
        count++;
    }
    if (traceparent) {
        headers[count].key = amqp_cstring_bytes("traceparent");
        headers[count].value.kind = AMQP_FIELD_KIND_UTF8;
        headers[count].value.value.bytes = amqp_cstring_bytes(traceparent);
        count++;
    }
    if (count > 0) {
        props._flags |= AMQP_BASIC_HEADERS_FLAG;
        props.headers.num_entries = count;
        props.headers.entries = headers;
    }
    amqp_bytes_t bytes = {body_len, (void *)body};
    int status = amqp_basic_publish(conn, CHANNEL, amqp_cstring_bytes(exchange), amqp_cstring_bytes(routing_key),
                                    mandatory ? 1 : 0, 0, &props, bytes);
    if (status != AMQP_STATUS_OK) {
        set_error(error, size, "publish: %s", amqp_error_string2(status));
        return -1;
    }
    return 0;
}

int cloudtask_amqp_wait_confirms(amqp_connection_state_t conn, uint64_t first, uint64_t last, int timeout_ms,
                                 char *error, size_t size) {
    if (last < first) return 0;
    size_t count = (size_t)(last - first + 1);
    unsigned char *confirmed = calloc(count, 1);
    if (!confirmed) {
        set_error(error, size, "out of memory");
        return -1;
    }
    size_t remaining = count;
    int refused = 0;
    struct timeval deadline, now;
    gettimeofday(&deadline, NULL);
    deadline.tv_sec += timeout_ms / 1000;
    deadline.tv_usec += (timeout_ms % 1000) * 1000;
    if (deadline.tv_usec >= 1000000) { deadline.tv_sec++; deadline.tv_usec -= 1000000; }
    while (remaining > 0) {
        gettimeofday(&now, NULL);
        long left_us = (deadline.tv_sec - now.tv_sec) * 1000000L + (deadline.tv_usec - now.tv_usec);
        if (left_us <= 0) {
            set_error(error, size, "no confirmation within %d ms", timeout_ms);
            free(confirmed);
            return -1;
        }
        struct timeval wait = {left_us / 1000000, left_us % 1000000};
        // The frames read here are decoded into the connection's buffer pool; without
        // a release it grows with every confirmation for the life of the connection.
        amqp_maybe_release_buffers(conn);
        amqp_frame_t frame;
        int status = amqp_simple_wait_frame_noblock(conn, &frame, &wait);
        if (status == AMQP_STATUS_TIMEOUT) continue;
        if (status != AMQP_STATUS_OK) {
            set_error(error, size, "waiting for confirmations: %s", amqp_error_string2(status));
            free(confirmed);
            return -1;
        }
        if (frame.frame_type != AMQP_FRAME_METHOD) continue;
        uint64_t tag = 0;
        int multiple = 0, nack = 0;
        switch (frame.payload.method.id) {
        case AMQP_BASIC_ACK_METHOD: {
            amqp_basic_ack_t *ack = (amqp_basic_ack_t *)frame.payload.method.decoded;
            tag = ack->delivery_tag;
            multiple = ack->multiple;
            break;
        }
        case AMQP_BASIC_NACK_METHOD: {
            amqp_basic_nack_t *n = (amqp_basic_nack_t *)frame.payload.method.decoded;
            tag = n->delivery_tag;
            multiple = n->multiple;
            nack = 1;
            break;
        }
        case AMQP_BASIC_RETURN_METHOD: {
            // Unroutable: its content follows; read it off the wire. Its ack comes next.
            amqp_message_t message;
            amqp_rpc_reply_t reply = amqp_read_message(conn, frame.channel, &message, 0);
            if (reply.reply_type != AMQP_RESPONSE_NORMAL) {
                set_error(error, size, "reading a returned message failed");
                free(confirmed);
                return -1;
            }
            amqp_destroy_message(&message);
            refused = 1;
            continue;
        }
        case AMQP_CHANNEL_CLOSE_METHOD:
        case AMQP_CONNECTION_CLOSE_METHOD:
            set_error(error, size, "the broker closed the %s while confirming",
                      frame.payload.method.id == AMQP_CHANNEL_CLOSE_METHOD ? "channel" : "connection");
            free(confirmed);
            return -1;
        default:
            continue;
        }
        if (nack) refused = 1;
        uint64_t low = multiple ? first : tag;
        for (uint64_t t = low; t <= tag && t <= last; t++) {
            if (t < first) continue;
            if (!confirmed[t - first]) {
                confirmed[t - first] = 1;
                remaining--;
            }
        }
    }
    free(confirmed);
    amqp_maybe_release_buffers(conn);
    if (refused) set_error(error, size, "the broker refused or returned a message");
    return refused ? 1 : 0;
}

int cloudtask_amqp_consume(amqp_connection_state_t conn, const char *queue, const char *control_exchange, int prefetch,
                           char *error, size_t size) {
    amqp_basic_qos(conn, CHANNEL, 0, (uint16_t)prefetch, 0);
    if (check_reply(amqp_get_rpc_reply(conn), "basic.qos", error, size)) return -1;
    amqp_bytes_t name;
    if (queue) {
        name = amqp_cstring_bytes(queue);
    } else {
        amqp_queue_declare_ok_t *ok = amqp_queue_declare(conn, CHANNEL, amqp_empty_bytes, 0, 0, 1, 1, amqp_empty_table);
        if (check_reply(amqp_get_rpc_reply(conn), "control queue", error, size)) return -1;
        name = amqp_bytes_malloc_dup(ok->queue);
        amqp_queue_bind(conn, CHANNEL, name, amqp_cstring_bytes(control_exchange), amqp_empty_bytes, amqp_empty_table);
        if (check_reply(amqp_get_rpc_reply(conn), "control binding", error, size)) {
            amqp_bytes_free(name);
            return -1;
        }
    }
    amqp_basic_consume(conn, CHANNEL, name, amqp_cstring_bytes(CONSUMER_TAG), 0, 0, 0, amqp_empty_table);
    if (!queue) amqp_bytes_free(name);
    return check_reply(amqp_get_rpc_reply(conn), "basic.consume", error, size);
}

int cloudtask_amqp_cancel(amqp_connection_state_t conn, char *error, size_t size) {
    amqp_basic_cancel(conn, CHANNEL, amqp_cstring_bytes(CONSUMER_TAG));
    return check_reply(amqp_get_rpc_reply(conn), "basic.cancel", error, size);
}

int cloudtask_amqp_next(amqp_connection_state_t conn, int timeout_ms, amqp_envelope_t *envelope, char *error, size_t size) {
    amqp_maybe_release_buffers(conn);
    struct timeval timeout = {timeout_ms / 1000, (timeout_ms % 1000) * 1000};
    amqp_rpc_reply_t reply = amqp_consume_message(conn, envelope, &timeout, 0);
    if (reply.reply_type == AMQP_RESPONSE_NORMAL) return 1;
    if (reply.reply_type == AMQP_RESPONSE_LIBRARY_EXCEPTION && reply.library_error == AMQP_STATUS_TIMEOUT) return 0;
    if (reply.reply_type == AMQP_RESPONSE_LIBRARY_EXCEPTION && reply.library_error == AMQP_STATUS_UNEXPECTED_STATE) {
        // A frame other than a delivery: read it. A close or a cancel ends the session.
        amqp_frame_t frame;
        int status = amqp_simple_wait_frame_noblock(conn, &frame, &timeout);
        if (status == AMQP_STATUS_TIMEOUT) return 0;
        if (status != AMQP_STATUS_OK) {
            set_error(error, size, "reading a frame: %s", amqp_error_string2(status));
            return -1;
        }
        if (frame.frame_type == AMQP_FRAME_METHOD) {
            switch (frame.payload.method.id) {
            case AMQP_CHANNEL_CLOSE_METHOD:
            case AMQP_CONNECTION_CLOSE_METHOD:
            case AMQP_BASIC_CANCEL_METHOD:
                set_error(error, size, "the broker ended the subscription (method 0x%08X)", frame.payload.method.id);
                return -1;
            default:
                return 0;
            }
        }
        return 0;
    }
    return check_reply(reply, "consume", error, size) == 0 ? 0 : -1;
}

int cloudtask_amqp_settle(amqp_connection_state_t conn, uint64_t tag, int how, char *error, size_t size) {
    int status;
    switch (how) {
    case 0: status = amqp_basic_ack(conn, CHANNEL, tag, 0); break;
    case 1: status = amqp_basic_reject(conn, CHANNEL, tag, 1); break;
    default: status = amqp_basic_reject(conn, CHANNEL, tag, 0); break;
    }
    if (status != AMQP_STATUS_OK) {
        set_error(error, size, "settle: %s", amqp_error_string2(status));
        return -1;
    }
    return 0;
}

int cloudtask_amqp_service(amqp_connection_state_t conn, char *error, size_t size) {
    amqp_maybe_release_buffers(conn);
    struct timeval none = {0, 0};
    amqp_frame_t frame;
    int status = amqp_simple_wait_frame_noblock(conn, &frame, &none);
    if (status == AMQP_STATUS_OK || status == AMQP_STATUS_TIMEOUT) {
        if (status == AMQP_STATUS_OK && frame.frame_type == AMQP_FRAME_METHOD &&
            (frame.payload.method.id == AMQP_CHANNEL_CLOSE_METHOD || frame.payload.method.id == AMQP_CONNECTION_CLOSE_METHOD)) {
            set_error(error, size, "the broker closed the connection");
            return -1;
        }
        return 0;
    }
    set_error(error, size, "heartbeat: %s", amqp_error_string2(status));
    return -1;
}

int cloudtask_amqp_header(const amqp_envelope_t *envelope, const char *key, char *out, size_t out_size) {
    if (!(envelope->message.properties._flags & AMQP_BASIC_HEADERS_FLAG)) return -1;
    const amqp_table_t *table = &envelope->message.properties.headers;
    size_t key_len = strlen(key);
    for (int i = 0; i < table->num_entries; i++) {
        const amqp_table_entry_t *entry = &table->entries[i];
        if (entry->key.len != key_len || memcmp(entry->key.bytes, key, key_len) != 0) continue;
        if (entry->value.kind != AMQP_FIELD_KIND_UTF8 && entry->value.kind != AMQP_FIELD_KIND_BYTES) return -1;
        amqp_bytes_t value = entry->value.value.bytes;
        if (value.len >= out_size) return -1;
        memcpy(out, value.bytes, value.len);
        out[value.len] = 0;
        return (int)value.len;
    }
    return -1;
}
