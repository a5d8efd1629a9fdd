import SluiceFiles
import SluiceIO
import SluiceTesting
import Testing

/// Hadoop glob semantics for file loads' paths (spec formats-security-files C.1).
@Suite struct GlobPatternTests {
    static func matches(_ pattern: String, _ names: [String]) throws -> [String] {
        let glob = try GlobPattern(pattern)
        return names.filter(glob.matches)
    }

    @Test func wildcardsClassesAndAlternatives() throws {
        let names = ["a.csv", "b.csv", "ab.csv", "a.parquet", "data_01.csv", "data_1x.csv", ".csv", "x*y"]
        #expect(try Self.matches("*.csv", names) == ["a.csv", "b.csv", "ab.csv", "data_01.csv", "data_1x.csv", ".csv"])
        #expect(try Self.matches("?.csv", names) == ["a.csv", "b.csv"])
        #expect(try Self.matches("[ab].csv", names) == ["a.csv", "b.csv"])
        #expect(try Self.matches("[^a].csv", names) == ["b.csv"])
        #expect(try Self.matches("[!a-b].csv", names) == [])
        #expect(try Self.matches("data_[0-9][0-9].csv", names) == ["data_01.csv"])
        #expect(try Self.matches("{a,b}.csv", names) == ["a.csv", "b.csv"])
        #expect(try Self.matches("a.{csv,parquet}", names) == ["a.csv", "a.parquet"])
        #expect(try Self.matches("{a*,data_?x}.csv", names) == ["a.csv", "ab.csv", "data_1x.csv"])
        #expect(try Self.matches(#"x\*y"#, names) == ["x*y"])
        #expect(try Self.matches("a.csv", names) == ["a.csv"])
        #expect(try GlobPattern("a.csv").hasWildcard == false)
        #expect(try GlobPattern("{a,b}").hasWildcard)
        // A long run of stars against a long near-miss stays linear.
        let hostile = String(repeating: "*a", count: 200) + "b"
        #expect(try !GlobPattern(hostile).matches(String(repeating: "a", count: 5000)))
    }

    @Test func badPatternsAreRefused() {
        for pattern in ["[ab", "{a,b", "[z-a]"] {
            #expect(throws: FileSourceError.self) { try GlobPattern(pattern) }
        }
        let many = String(repeating: "{a,b}", count: 11)
        #expect { try GlobPattern(many) } throws: { ($0 as? FileSourceError)?.code == .invalidPath }
    }

    @Test func localPathsAreListedComponentByComponent() throws {
        let fs = SimulatedFileSystem()
        for directory in ["/data", "/data/2024-01", "/data/2024-02", "/data/2025-01", "/data/2024-03"] {
            try fs.createDirectory(directory)
        }
        for (path, size) in [
            ("/data/2024-01/part-0.csv", 3), ("/data/2024-01/part-1.csv", 4), ("/data/2024-02/part-0.csv", 5),
            ("/data/2025-01/part-0.csv", 6), ("/data/2024-01/notes.txt", 7),
        ] {
            let file = try fs.createFile(path)
            try file.append([UInt8](repeating: 65, count: size))
            try file.close()
        }
        let files = LocalFiles(fileSystem: fs)
        let listed = try files.list("file:///data/2024-*/part-?.csv")
        #expect(
            listed.map { [$0.path, String($0.size)] } == [
                ["/data/2024-01/part-0.csv", "3"], ["/data/2024-01/part-1.csv", "4"],
                ["/data/2024-02/part-0.csv", "5"],
            ])
        // The version of a local file is its modification time in epoch milliseconds.
        #expect(listed.allSatisfy { $0.version == String($0.modifiedMillis) && $0.modifiedMillis > 0 })
        #expect(try files.read(listed[1], offset: 1, length: 10) == [65, 65, 65])
        #expect(
            try files.list("/data/{2024-02,2025-01}/*").map(\.path) == [
                "/data/2024-02/part-0.csv", "/data/2025-01/part-0.csv",
            ])
        #expect(try files.list("/data/2024-01/notes.txt").map(\.size) == [7])
        // A wildcard does not cross '/': `*` names directories here, not files below them.
        #expect { try files.list("/data/*") } throws: { ($0 as? FileSourceError)?.code == .noFilesFound }
        #expect {
            try files.list("file:///data/2023-*/*.csv")
        } throws: {
            ($0 as? FileSourceError)?.message
                == "No files were found matching the pattern(s) or path(s): 'file:///data/2023-*/*.csv'. You should check whether there are files under the path, and make sure the process has the permission to access the path"
        }
        #expect { try files.list("data/x.csv") } throws: { ($0 as? FileSourceError)?.code == .invalidPath }
        #expect(
            FileSourceError.noFilesFound(["p1", "p2", "p3", "p4"]).message.hasPrefix(
                "No files were found matching the pattern(s) or path(s): 'p1, p2, p3, ...'."))
    }
}
