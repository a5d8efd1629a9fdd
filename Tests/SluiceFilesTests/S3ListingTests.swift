import SluiceFiles
import Testing

/// ListObjectsV2 pages as S3 (and moto) write them.
@Suite struct S3ListingTests {
    @Test func objectsAndTheContinuationToken() throws {
        let page = try S3Listing(
            xml: """
                <?xml version="1.0" encoding="UTF-8"?>
                <ListBucketResult xmlns="http://s3.amazonaws.com/doc/2006-03-01/"><Name>bkt</Name><Prefix>data/</Prefix>\
                <KeyCount>2</KeyCount><MaxKeys>2</MaxKeys><IsTruncated>true</IsTruncated>\
                <Contents><Key>data/a &amp; b.csv</Key><LastModified>2026-12-05T10:00:00.000Z</LastModified>\
                <ETag>&quot;9b2cf535f27731c974343645a3985328&quot;</ETag><Size>123</Size><StorageClass>STANDARD</StorageClass></Contents>\
                <Contents><Key>data/c.parquet</Key><LastModified>2026-12-05T10:00:01.000Z</LastModified>\
                <ETag>"abc"</ETag><Size>4567</Size></Contents>\
                <NextContinuationToken>1ueGcxLPRx1Tr/XYExHnhbYLgveDs2J/wm36Hy4vbOwM=</NextContinuationToken></ListBucketResult>
                """)
        #expect(page.objects.map(\.key) == ["data/a & b.csv", "data/c.parquet"])
        #expect(page.objects.map(\.size) == [123, 4567])
        #expect(page.objects.map(\.etag) == ["9b2cf535f27731c974343645a3985328", "abc"])
        #expect(page.objects.first?.lastModified == "2026-12-05T10:00:00.000Z")
        #expect(page.continuationToken == "1ueGcxLPRx1Tr/XYExHnhbYLgveDs2J/wm36Hy4vbOwM=")
        let last = try S3Listing(xml: "<ListBucketResult><IsTruncated>false</IsTruncated></ListBucketResult>")
        #expect(last.objects.isEmpty && last.continuationToken == nil)
    }

    @Test func errorBodiesAreErrors() {
        #expect {
            try S3Listing(
                xml: "<Error><Code>NoSuchBucket</Code><Message>The specified bucket does not exist</Message></Error>")
        } throws: {
            ($0 as? FileSourceError)?.message == "NoSuchBucket: The specified bucket does not exist"
        }
    }
}
