public import Domain
public import Foundation
public import Logging
public import Ports
public import PostgresNIO

/// The audit trail in PostgreSQL (migration 0006). Appending is one statement: it bumps
/// the chain's head row, whose lock orders concurrent appends, and inserts the entry with
/// the hash computed from the head it found (`UPDATE … RETURNING` re-reads a row that a
/// concurrent transaction changed, so no two entries chain to the same predecessor).
public struct PostgresAuditTrail: AuditTrail {
    let client: PostgresClient
    let logger: Logger

    public init(client: PostgresClient, logger: Logger) {
        self.client = client
        self.logger = logger
    }

    static let columns = """
        seq, extract(epoch FROM date_trunc('second', occurred_at))::bigint * 1000000
             + extract(microseconds FROM occurred_at)::bigint % 1000000, action, outcome, actor_id, account_id, subject,
        client_address, request_id, details::text, encode(hash, 'hex')
        """

    /// Appends `records` in order on `connection`, inside the caller's transaction.
    static func write(_ records: [AuditRecord], _ connection: PostgresConnection, _ logger: Logger) async throws {
        for record in records {
            let canonical = String(decoding: record.canonicalBytes, as: UTF8.self)
            _ = try await connection.query(
                """
                WITH head AS (
                    UPDATE audit_chain SET head_seq = head_seq + 1,
                        head_hash = sha256(head_hash || int8send(head_seq + 1) || convert_to(\(canonical), 'UTF8'))
                    WHERE id = 1 RETURNING head_seq, head_hash
                )
                INSERT INTO audit_entries (seq, occurred_at, action, outcome, actor_id, account_id, subject,
                                           client_address, request_id, details, hash)
                SELECT head_seq, timestamptz 'epoch' + \(record.occurredAtMicros) * interval '1 microsecond',
                       \(record.action.name), \(record.outcome.rawValue), \(record.actorID?.uuid), \(record.accountID?.uuid),
                       \(record.subject), \(record.context.clientAddress), \(record.context.requestID),
                       CAST(\(Self.json(record.details)) AS jsonb), head_hash
                FROM head
                """, logger: logger)
        }
    }

    public func append(_ record: AuditRecord) async throws {
        try await client.transaction(logger: logger) { connection in try await Self.write([record], connection, logger) }
    }

    public func entries(_ query: AuditQuery) async throws -> [AuditEntry] {
        let since = query.since.map(AuditRecord.micros)
        let until = query.until.map(AuditRecord.micros)
        return try await read(
            """
            SELECT \(unescaped: Self.columns) FROM audit_entries
            WHERE (\(query.before)::bigint IS NULL OR seq < \(query.before))
              AND (\(query.involving?.uuid)::uuid IS NULL OR actor_id = \(query.involving?.uuid) OR account_id = \(query.involving?.uuid))
              AND (\(query.actor?.uuid)::uuid IS NULL OR actor_id = \(query.actor?.uuid))
              AND (\(query.action?.name)::text IS NULL OR action = \(query.action?.name))
              AND (\(since)::bigint IS NULL OR occurred_at >= timestamptz 'epoch' + \(since) * interval '1 microsecond')
              AND (\(until)::bigint IS NULL OR occurred_at < timestamptz 'epoch' + \(until) * interval '1 microsecond')
            ORDER BY seq DESC LIMIT \(query.limit)
            """)
    }

    public func chain(after sequence: Int64, limit: Int) async throws -> [AuditEntry] {
        try await read(
            "SELECT \(unescaped: Self.columns) FROM audit_entries WHERE seq > \(sequence) ORDER BY seq LIMIT \(limit)")
    }

    public func ends() async throws -> AuditChainEnds {
        let row = try await client.query(
            """
            SELECT head_seq, encode(head_hash, 'hex'), anchor_seq, encode(anchor_hash, 'hex') FROM audit_chain WHERE id = 1
            """, logger: logger
        ).decode((Int64, String, Int64, String).self).first { _ in true }
        guard let (headSequence, headHash, anchorSequence, anchorHash) = row else { throw PortError.notFound }
        return AuditChainEnds(
            anchorSequence: anchorSequence, anchorHash: Hex.bytes(anchorHash),
            headSequence: headSequence, headHash: Hex.bytes(headHash))
    }

    public func purge(before cutoff: Date) async throws -> Int {
        let cutoff = AuditRecord.micros(cutoff)
        return try await client.transaction(logger: logger) { connection in
            // The chain's row first: purges take turns, and an append waits for this one.
            _ = try await connection.query("SELECT 1 FROM audit_chain WHERE id = 1 FOR UPDATE", logger: logger)
            let last =
                try await connection.query(
                    """
                    SELECT max(seq) FROM audit_entries
                    WHERE occurred_at < timestamptz 'epoch' + \(cutoff) * interval '1 microsecond'
                    """, logger: logger
                ).decode(Int64?.self).first { _ in true } ?? nil
            guard let last else { return 0 }
            return try await connection.query(
                """
                WITH gone AS (DELETE FROM audit_entries WHERE seq <= \(last) RETURNING seq, hash),
                     anchor AS (
                        UPDATE audit_chain SET anchor_seq = g.seq, anchor_hash = g.hash
                        FROM (SELECT seq, hash FROM gone WHERE seq = \(last)) g WHERE id = 1
                     )
                SELECT count(*) FROM gone
                """, logger: logger
            ).decode(Int.self).first { _ in true } ?? 0
        }
    }

    private func read(_ query: PostgresQuery) async throws -> [AuditEntry] {
        try await client.connection(logger: logger) { connection in
            var entries: [AuditEntry] = []
            let rows = try await connection.query(query, logger: logger)
            for try await row in rows { entries.append(try Self.decode(row)) }
            return entries
        }
    }

    static func decode(_ row: PostgresRow) throws -> AuditEntry {
        let (seq, micros, action, outcome, actor, account, subject, client, request, details, hash) =
            try row.decode((Int64, Int64, String, String, UUID?, UUID?, String?, String?, String?, String, String).self)
        let record = AuditRecord(
            occurredAtMicros: micros, action: AuditAction(action), outcome: AuditOutcome(rawValue: outcome) ?? .failure,
            actor: actor.map(UserID.init), account: account.map(UserID.init), subject: subject,
            context: AuditContext(clientAddress: client, requestID: request), details: Self.details(details))
        return AuditEntry(sequence: seq, record: record, hash: Hex.bytes(hash))
    }

    static func json(_ details: [String: String]) -> String {
        let data = (try? JSONSerialization.data(withJSONObject: details, options: [.sortedKeys])) ?? Data("{}".utf8)
        return String(decoding: data, as: UTF8.self)
    }

    static func details(_ text: String) -> [String: String] {
        (try? JSONSerialization.jsonObject(with: Data(text.utf8))) as? [String: String] ?? [:]
    }
}

/// Lower-case hexadecimal from PostgreSQL's `encode(…, 'hex')`, back to bytes.
enum Hex {
    static func bytes(_ text: String) -> [UInt8] {
        let digits = Array(text.utf8)
        guard digits.count % 2 == 0 else { return [] }
        func value(_ digit: UInt8) -> UInt8? {
            switch digit {
            case UInt8(ascii: "0")...UInt8(ascii: "9"): digit - UInt8(ascii: "0")
            case UInt8(ascii: "a")...UInt8(ascii: "f"): digit - UInt8(ascii: "a") + 10
            default: nil
            }
        }
        var bytes: [UInt8] = []
        bytes.reserveCapacity(digits.count / 2)
        for index in stride(from: 0, to: digits.count, by: 2) {
            guard let high = value(digits[index]), let low = value(digits[index + 1]) else { return [] }
            bytes.append(high << 4 | low)
        }
        return bytes
    }
}
