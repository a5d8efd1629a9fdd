import SluiceFiles
import SluiceTesting
import Testing

/// The S3 client against a real S3-compatible server (moto, signatures checked) in its own process.
@Suite(.serialized) struct S3FilesTests {
    let server: S3ServerProcess
    let store: S3Files

    init() throws {
        server = try S3ServerProcess()
        store = S3Files(settings: try S3Settings(properties: server.properties()), pageSize: 2)
        try store.createBucket("sluice-test")
    }

    @Test func listsWithGlobsAcrossPagesAndReadsRanges() throws {
        let keys = ["csv/file1.csv", "csv/file2.csv", "csv/sub/x.csv", "csv/notes.txt", "other/a.csv", "csv/a b+c.csv"]
        for (index, key) in keys.enumerated() {
            try store.put(bucket: "sluice-test", key: key, bytes: Array("\(index),row,\(key)\n".utf8))
        }
        // Five objects under csv/ come back over three pages of two; `*` does not cross '/'.
        let listed = try store.list("s3://sluice-test/csv/*.csv")
        #expect(
            listed.map(\.path) == [
                "s3://sluice-test/csv/a b+c.csv", "s3://sluice-test/csv/file1.csv", "s3://sluice-test/csv/file2.csv",
            ])
        #expect(listed.allSatisfy { $0.version.count == 32 && !$0.version.contains("\"") && $0.modifiedMillis > 0 })
        #expect(try store.list("s3a://sluice-test/csv/").count == 4)
        #expect(
            try store.list("s3://sluice-test/*/{a,sub}*").map(\.path) == [
                "s3://sluice-test/csv/a b+c.csv", "s3://sluice-test/other/a.csv",
            ])
        #expect(try store.list(["s3://sluice-test/csv/file1.csv", "s3://sluice-test/nothing*"]).count == 1)
        let file = listed[1]
        #expect(file.size == "0,row,csv/file1.csv\n".utf8.count)
        #expect(try store.read(file, offset: 2, length: 3) == Array("row".utf8))
        #expect(try store.read(file, offset: 0, length: 1 << 20) == Array("0,row,csv/file1.csv\n".utf8))
        #expect(try store.read(file, offset: file.size, length: 10) == [])
        // An overwrite with other bytes is a new version.
        try store.put(bucket: "sluice-test", key: "csv/file1.csv", bytes: Array("changed\n".utf8))
        #expect(try store.list("s3://sluice-test/csv/file1.csv").first?.version != file.version)
    }

    @Test func failuresNameTheProblem() throws {
        #expect {
            try store.list("s3://sluice-test/none/*")
        } throws: {
            ($0 as? FileSourceError)?.message.hasPrefix(
                "No files were found matching the pattern(s) or path(s): 's3://sluice-test/none/*'.") == true
        }
        #expect {
            try store.list("s3://no-such-bucket/x")
        } throws: {
            ($0 as? FileSourceError)?.message.contains("NoSuchBucket") == true
        }
        let wrongSecret = S3Files(settings: try S3Settings(properties: server.properties(secretKey: "wrong")))
        #expect {
            try wrongSecret.list("s3://sluice-test/csv/*")
        } throws: { error in
            let message = (error as? FileSourceError)?.message ?? ""
            return message.contains("SignatureDoesNotMatch") && message.contains("HTTP 403")
                && !message.contains("wrong")
        }
        let wrongKey = S3Files(settings: try S3Settings(properties: server.properties(accessKey: "nobody")))
        #expect {
            try wrongKey.list("s3://sluice-test/csv/*")
        } throws: { ($0 as? FileSourceError)?.message.contains("InvalidAccessKeyId") == true }
        let unreachable = S3Files(
            settings: try S3Settings(properties: ["aws.s3.endpoint": "http://127.0.0.1:1", "aws.s3.access_key": "k"]))
        #expect {
            try unreachable.list("s3://sluice-test/csv/*")
        } throws: { ($0 as? FileSourceError)?.message.contains("cannot reach http://127.0.0.1:1") == true }
    }
}

/// The `aws.s3.*` properties.
@Suite struct S3SettingsTests {
    @Test func defaultsAndEndpoints() throws {
        let aws = try S3Settings(properties: ["aws.s3.region": "eu-west-1"])
        #expect(aws.endpoint == "https://s3.eu-west-1.amazonaws.com" && !aws.pathStyle && !aws.signs)
        let plain = try S3Settings(properties: [
            "AWS.S3.ENDPOINT": "minio:9000/", "aws.s3.enable_ssl": "false", "aws.s3.access_key": "a",
            "aws.s3.secret_key": "topsecret", "aws.s3.enable_path_style_access": "TRUE",
        ])
        #expect(plain.endpoint == "http://minio:9000" && plain.pathStyle && plain.region == "us-east-1")
        #expect(!plain.description.contains("topsecret"))
        #expect { try S3Settings(properties: ["aws.s3.enable_ssl": "yes"]) } throws: {
            ($0 as? FileSourceError)?.message == "Invalid aws.s3.enable_ssl: 'yes': write true or false"
        }
        #expect { try S3Settings(properties: ["aws.s3.use_instance_profile": "true"]) } throws: {
            ($0 as? FileSourceError)?.code == .invalidPath
        }
        #expect { try S3Settings(properties: ["aws.s3.endpoint": "http://host/path"]) } throws: {
            ($0 as? FileSourceError)?.code == .invalidPath
        }
    }

    @Test func locations() throws {
        #expect(try S3Location("s3://b/dir/k.csv") == S3Location(bucket: "b", key: "dir/k.csv"))
        #expect(try S3Location("s3a://b").key == "")
        #expect { try S3Location("s3:///k") } throws: { ($0 as? FileSourceError)?.code == .invalidPath }
    }
}
