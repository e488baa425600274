import CQRencode
public import Ports

/// QR codes drawn by libqrencode, written as SVG: one path of unit squares on a white
/// field with the four-module quiet zone the standard asks for. The dashboard shows it as
/// an image (no script in it, so the Content-Security-Policy needs nothing more).
public struct QREncodeSVG: QRCodeRenderer {
    public init() {}

    public func svg(_ text: String) -> String? {
        // 8-bit mode, error correction level M, the smallest version that fits; libqrencode
        // is thread-safe when built with pthreads, as Debian builds it.
        guard text.utf8.count <= 1024, let code = QRcode_encodeString(text, 0, QR_ECLEVEL_M, QR_MODE_8, 1) else {
            return nil
        }
        defer { QRcode_free(code) }
        let width = Int(code.pointee.width)
        let quiet = 4
        let size = width + 2 * quiet
        var path = ""
        path.reserveCapacity(width * width * 4)
        for y in 0..<width {
            for x in 0..<width where code.pointee.data[y * width + x] & 1 == 1 {
                path += "M\(x + quiet) \(y + quiet)h1v1h-1z"
            }
        }
        return """
            <svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 \(size) \(size)" shape-rendering="crispEdges">\
            <rect width="\(size)" height="\(size)" fill="#fff"/><path fill="#000" d="\(path)"/></svg>
            """
    }
}
