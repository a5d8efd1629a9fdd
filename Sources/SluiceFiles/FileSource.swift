import Foundation
package import SluiceIO

/// Every store a file load may read, picked by each location's scheme: `file://` and absolute
/// paths on the local file system, `s3://` / `s3a://` through ``S3Files`` with the load's
/// `aws.s3.*` properties.
package struct FileSource: FileStore {
    package let local: LocalFiles
    /// nil until a load names an S3 location (its properties may be absent otherwise).
    private let s3: S3Files?
    private let s3Failure: FileSourceError?

    /// - Parameter properties: the load's storage properties (`aws.s3.*`; other keys ignored).
    package init(fileSystem: any FileSystem, properties: [String: String]) {
        local = LocalFiles(fileSystem: fileSystem)
        do {
            s3 = S3Files(settings: try S3Settings(properties: properties))
            s3Failure = nil
        } catch {
            s3 = nil
            s3Failure = error
        }
    }

    private func store(for location: String) throws(FileSourceError) -> any FileStore {
        if S3Location.isS3(location) {
            guard let s3 else { throw s3Failure! }
            return s3
        }
        if location.hasPrefix("/") || location.lowercased().hasPrefix("file://") { return local }
        let scheme = location.range(of: "://").map { String(location[..<$0.lowerBound]) } ?? ""
        throw FileSourceError(
            .invalidPath,
            scheme.isEmpty
                ? "Invalid path \(location): write file:///absolute/path or s3://bucket/key"
                : "\(scheme):// paths are not supported: use file:// or s3:// (S3-compatible storage)")
    }

    package func list(_ location: String) throws(FileSourceError) -> [ListedFile] {
        try store(for: location).list(location)
    }

    package func read(_ file: ListedFile, offset: Int, length: Int) throws(FileSourceError) -> [UInt8] {
        try store(for: file.path).read(file, offset: offset, length: length)
    }
}
