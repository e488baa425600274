import Foundation
import Infrastructure
import Ports
import Testing

@Suite("Two-factor primitives: TOTP, sealed secrets, recovery codes, QR")
struct MFAPrimitivesTests {
    /// RFC 6238 appendix B's SHA-1 secret and times; six digits are the last six of its eight.
    static let rfcSecret = TOTPSecret(Array("12345678901234567890".utf8))

    @Test(
        "RFC 6238 test vectors (SHA-1)",
        arguments: [
            (59.0, "287082"), (1_111_111_109, "081804"), (1_111_111_111, "050471"), (1_234_567_890, "005924"),
            (2_000_000_000, "279037"), (20_000_000_000, "353130"),
        ])
    func rfcVectors(time: Double, code: String) {
        #expect(TOTPCodes().code(secret: Self.rfcSecret, at: Date(timeIntervalSince1970: time)) == code)
    }

    @Test("a code matches its own step and the ones either side, nothing further, and nothing that is not six digits")
    func matching() {
        let codes = TOTPCodes()
        let now = Date(timeIntervalSince1970: 1_800_000_015)
        let step = codes.step(at: now)
        let secret = codes.newSecret()
        #expect(secret.bytes.count == 20 && secret != codes.newSecret())
        for offset in Int64(-1)...1 {
            #expect(codes.matchingStep(codes.code(secret: secret, step: step + offset), secret: secret, at: now) == step + offset)
        }
        for offset in [Int64(-3), -2, 2, 3] {
            let far = codes.code(secret: secret, step: step + offset)
            let near = (-1...1).map { codes.code(secret: secret, step: step + Int64($0)) }
            if !near.contains(far) { #expect(codes.matchingStep(far, secret: secret, at: now) == nil) }
        }
        let current = codes.code(secret: secret, step: step)
        #expect(codes.matchingStep(String(current.prefix(3)) + " " + current.dropFirst(3), secret: secret, at: now) == step)
        for bad in ["", "12345", "1234567", "12345a", "１２３４５６", "123456\u{0}", String(repeating: "1", count: 10_000)] {
            #expect(codes.matchingStep(bad, secret: secret, at: now) == nil, "\(bad.prefix(12))")
        }
    }

    @Test("the secret as an app takes it: base32, and the otpauth URI with the issuer and account escaped")
    func provisioning() {
        let codes = TOTPCodes()
        #expect(codes.displayed(Self.rfcSecret) == "GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ")
        #expect(
            codes.provisioningURI(secret: Self.rfcSecret, account: "ann+x@example.com", issuer: "Cloud Task")
                == "otpauth://totp/Cloud%20Task%3Aann%2Bx%40example.com?secret=GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ"
                + "&issuer=Cloud%20Task&algorithm=SHA1&digits=6&period=30")
    }

    @Test("sealed secrets: a round trip, a fresh nonce each time, old keys open (and say so), tampering and unknown keys refused")
    func sealing() throws {
        let old = try #require(SecretSealer(secret: String(repeating: "o", count: 32)))
        let sealer = try #require(
            SecretSealer(secret: String(repeating: "n", count: 32), old: [String(repeating: "o", count: 32)]))
        #expect(SecretSealer(secret: "short") == nil)
        let secret: [UInt8] = Array(0..<20)
        let sealed = try sealer.seal(secret)
        let again = try sealer.seal(secret)
        #expect(sealed.hasPrefix("v1.\(sealer.currentKeyID).") && sealed != again)
        let opened = try sealer.open(sealed)
        #expect(opened.plaintext == secret && !opened.stale)
        let byOld = try sealer.open(try old.seal(secret))
        #expect(byOld.plaintext == secret && byOld.stale)
        #expect(throws: SecretSealer.SealError.unknownKey(sealer.currentKeyID)) { try old.open(sealed) }
        var tampered = Array(sealed.utf8)
        tampered[tampered.count - 5] = tampered[tampered.count - 5] == UInt8(ascii: "A") ? UInt8(ascii: "B") : UInt8(ascii: "A")
        #expect(throws: (any Error).self) { try sealer.open(String(decoding: tampered, as: UTF8.self)) }
        for garbage in ["", "v1", "v2.x.y", "v1.\(sealer.currentKeyID).!!!", "v1.\(sealer.currentKeyID)."] {
            #expect(throws: (any Error).self) { try sealer.open(garbage) }
        }
    }

    @Test("recovery codes: ten distinct ones of 16 base32 characters; typed in any case, with or without hyphens")
    func recoveryCodes() throws {
        let minter = RecoveryCodes()
        let minted = minter.mint(count: 10)
        #expect(Set(minted.map(\.code)).count == 10 && Set(minted.map(\.hash)).count == 10)
        for (code, hash) in minted {
            #expect(code.range(of: "^[a-z2-7]{4}(-[a-z2-7]{4}){3}$", options: .regularExpression) != nil, "\(code)")
            #expect(minter.hash(code) == hash)
            #expect(minter.hash(code.uppercased().replacingOccurrences(of: "-", with: " ")) == hash)
        }
        for bad in ["", "abcd-efgh", "abcd-efgh-ijkl-mno1", "abcd-efgh-ijkl-mnop-q", String(repeating: "a", count: 100)] {
            #expect(minter.hash(bad) == nil, "\(bad)")
        }
    }

    @Test("the QR code is an SVG of squares on a white field with a quiet zone; text too long for one is refused")
    func qrCode() throws {
        let uri = TOTPCodes().provisioningURI(secret: TOTPCodes().newSecret(), account: "ann@example.com", issuer: "CloudTask")
        let svg = try #require(QREncodeSVG().svg(uri))
        #expect(svg.hasPrefix("<svg xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 "))
        #expect(svg.contains("<rect") && svg.contains("h1v1h-1z") && !svg.contains("<script"))
        // Version 5 or 6 for a URI of this length: 37 or 41 modules plus 8 of quiet zone.
        let size = Int(svg.split(separator: " ")[5].prefix { $0.isNumber }) ?? 0
        #expect((45...57).contains(size), "\(size)")
        #expect(QREncodeSVG().svg(String(repeating: "x", count: 5000)) == nil)
    }
}
