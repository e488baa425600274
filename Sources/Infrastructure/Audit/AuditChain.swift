import Crypto
public import Domain
import Foundation
public import Ports

/// The hash chain over audit entries: each entry's hash is SHA-256 over the previous
/// entry's hash, its sequence number (8 bytes, big-endian) and its record's canonical
/// bytes. PostgreSQL computes the same with `sha256(hash || int8send(seq) || canonical)`.
public enum AuditChain {
    /// The hash "before" the first entry.
    public static let genesis = [UInt8](repeating: 0, count: 32)

    public static func hash(previous: [UInt8], sequence: Int64, record: AuditRecord) -> [UInt8] {
        var hasher = SHA256()
        hasher.update(data: previous)
        withUnsafeBytes(of: sequence.bigEndian) { hasher.update(bufferPointer: $0) }
        hasher.update(data: record.canonicalBytes)
        return Array(hasher.finalize())
    }

    /// What walking the chain found.
    public enum Verdict: Hashable, Sendable {
        /// Every entry from the anchor to the head is there and unchanged.
        case intact(entries: Int64, head: AuditChainEnds)
        /// The first place where the chain does not hold, said for an operator.
        case broken(atSequence: Int64, reason: String)
    }

    /// Walks the stored chain from its anchor to its head, `pageSize` entries at a time
    /// (memory stays flat however long the chain is).
    public static func verify(_ trail: any AuditTrail, pageSize: Int = 1000) async throws -> Verdict {
        let ends = try await trail.ends()
        var previousSequence = ends.anchorSequence
        var previousHash = ends.anchorHash
        var count: Int64 = 0
        // Entries appended while this runs lie beyond the head read above: not walked.
        walk: while previousSequence < ends.headSequence {
            let page = try await trail.chain(after: previousSequence, limit: pageSize)
            if page.isEmpty { break }
            for entry in page {
                if entry.sequence > ends.headSequence { break walk }
                guard entry.sequence == previousSequence + 1 else {
                    return .broken(
                        atSequence: previousSequence + 1,
                        reason: "entries \(previousSequence + 1)…\(entry.sequence - 1) are missing")
                }
                guard hash(previous: previousHash, sequence: entry.sequence, record: entry.record) == entry.hash else {
                    return .broken(
                        atSequence: entry.sequence, reason: "entry \(entry.sequence) does not match its hash (altered)")
                }
                previousSequence = entry.sequence
                previousHash = entry.hash
                count += 1
            }
        }
        guard previousSequence == ends.headSequence, previousHash == ends.headHash else {
            return .broken(
                atSequence: previousSequence + 1,
                reason: "the chain ends at \(previousSequence) but its head is \(ends.headSequence) (entries removed)")
        }
        return .intact(entries: count, head: ends)
    }
}
