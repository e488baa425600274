import Foundation
import Testing

@testable import Infrastructure

@Suite("S3: SigV4 signing and S3's XML answers")
struct SigV4Tests {
    // AWS's published S3 examples (Signature Version 4, "Examples of signature calculations").
    static let signer = SigV4(
        accessKey: "AKIAIOSFODNN7EXAMPLE", secretKey: "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY", region: "us-east-1")
    static let date = Date(timeIntervalSince1970: 1_369_353_600)  // 2013-05-24T00:00:00Z

    @Test("a GET with a Range header signs as AWS's example")
    func headerSigned() {
        let signed = Self.signer.sign(
            method: "GET", host: "examplebucket.s3.amazonaws.com", path: "/test.txt", query: [],
            headers: [("Range", "bytes=0-9")], payloadHash: SigV4.emptyPayloadHash, date: Self.date)
        let authorization = signed.headers.first { $0.0 == "authorization" }?.1
        #expect(
            authorization
                == "AWS4-HMAC-SHA256 Credential=AKIAIOSFODNN7EXAMPLE/20130524/us-east-1/s3/aws4_request, "
                + "SignedHeaders=host;range;x-amz-content-sha256;x-amz-date, "
                + "Signature=f0e8bdb87c964420e857bd35b5d6ed310bd44f0170aba48dd91039c6036bdb41")
    }

    @Test("a presigned GET URL signs as AWS's example")
    func presigned() {
        let query = Self.signer.presignedQuery(
            host: "examplebucket.s3.amazonaws.com", path: "/test.txt", expiresIn: 86400, date: Self.date)
        #expect(
            query
                == "X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential=AKIAIOSFODNN7EXAMPLE%2F20130524%2Fus-east-1%2Fs3%2Faws4_request"
                + "&X-Amz-Date=20130524T000000Z&X-Amz-Expires=86400&X-Amz-SignedHeaders=host"
                + "&X-Amz-Signature=aeeed9bbccd4d02ee5c0109b86d86835f995330da4c265957d157751f604d404")
    }

    @Test("keys are percent-encoded byte by byte, slashes kept in paths; query pairs sorted")
    func encoding() {
        #expect(SigV4.encode("runs/ab c/ü+%.txt", encodeSlash: false) == "runs/ab%20c/%C3%BC%2B%25.txt")
        #expect(SigV4.encode("a/b") == "a%2Fb")
        #expect(
            SigV4.canonicalQuery([("uploadId", "x y"), ("partNumber", "2"), ("uploads", "")])
                == "partNumber=2&uploadId=x%20y&uploads=")
    }

    @Test("list pages, upload ids and error codes are read from S3's XML, entities decoded")
    func xml() {
        let page = S3ListPage(
            xml: """
                <ListBucketResult><IsTruncated>true</IsTruncated><NextContinuationToken>t&amp;1</NextContinuationToken>\
                <Contents><Key>a&lt;b&gt; &#x263A;</Key><LastModified>2026-11-30T10:20:30.000Z</LastModified>\
                <Size>12</Size></Contents><Contents><Key>c</Key><Size>0</Size></Contents>\
                </ListBucketResult>
                """)
        #expect(page.objects.map(\.key) == ["a<b> ☺", "c"] && page.objects.map(\.size) == [12, 0])
        // An entry without a readable date is never old to retention.
        #expect(page.objects.map(\.modified) == [Date(timeIntervalSince1970: 1_796_034_030), .distantFuture])
        #expect(page.nextToken == "t&1")
        #expect(S3ListPage(xml: "<ListBucketResult><IsTruncated>false</IsTruncated></ListBucketResult>").nextToken == nil)
        #expect(S3ListPage.element("Code", in: "<Error><Code>NoSuchKey</Code></Error>") == "NoSuchKey")
        #expect(S3ListPage.unescape("&bogus; & &amp;") == "&bogus; & &")
    }
}
