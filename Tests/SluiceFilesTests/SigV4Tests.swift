import SluiceFiles
import Testing

/// SigV4 against AWS's published S3 example (GET /test.txt with a Range header, 2013-05-24).
@Suite struct SigV4Tests {
    @Test func theDocumentedGetObjectExampleSignsTheSame() {
        let signer = SigV4(
            accessKey: "AKIAIOSFODNN7EXAMPLE", secretKey: "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY",
            region: "us-east-1")
        let headers = signer.sign(
            method: "GET", path: "/test.txt",
            headers: [("Host", "examplebucket.s3.amazonaws.com"), ("Range", "bytes=0-9")], date: "20130524T000000Z")
        #expect(
            headers.first { $0.0 == "Authorization" }?.1
                == "AWS4-HMAC-SHA256 Credential=AKIAIOSFODNN7EXAMPLE/20130524/us-east-1/s3/aws4_request,"
                + "SignedHeaders=host;range;x-amz-content-sha256;x-amz-date,"
                + "Signature=f0e8bdb87c964420e857bd35b5d6ed310bd44f0170aba48dd91039c6036bdb41")
        #expect(headers.first { $0.0 == "x-amz-date" }?.1 == "20130524T000000Z")
    }

    @Test func timestampsAndEncoding() {
        #expect(SigV4.timestamp(1_369_353_600) == "20130524T000000Z")
        #expect(SigV4.timestamp(1_704_067_199) == "20231231T235959Z")
        #expect(SigV4.encode("a b/c~d*é") == "a%20b%2Fc~d%2A%C3%A9")
        #expect(SigV4.encode("dir/x y.csv", keepSlash: true) == "dir/x%20y.csv")
    }
}
