package import SluiceIO

/// `file://` paths (and plain absolute paths) with Hadoop glob patterns, listed through a
/// ``FileSystem`` (blocking: call from a blocking-I/O thread).
package struct LocalFiles: FileStore {
    package let fileSystem: any FileSystem

    package init(fileSystem: any FileSystem) { self.fileSystem = fileSystem }

    /// The regular files `location` names, sorted by path; a pattern component is matched against
    /// the entries of each directory reached so far (a wildcard never crosses `/`).
    /// - Throws: ``FileSourceError`` `.invalidPath` for a relative path or a bad pattern,
    ///   `.noFilesFound` with StarRocks' message when nothing matches.
    package func list(_ location: String) throws(FileSourceError) -> [ListedFile] {
        var path = location
        if path.hasPrefix("file://") { path = String(path.dropFirst("file://".count)) }
        guard path.hasPrefix("/") else {
            throw FileSourceError(
                .invalidPath, "Invalid path \(location): write file:///absolute/path or s3://bucket/key")
        }
        var current = ["/"]
        let components = path.split(separator: "/").map(String.init)
        for (index, component) in components.enumerated() {
            let pattern = try GlobPattern(component)
            let last = index == components.count - 1
            var next = [String]()
            for directory in current {
                if pattern.hasWildcard {
                    guard fileSystem.isDirectory(directory),
                        let names = try? fileSystem.listDirectory(directory)
                    else { continue }
                    for name in names.sorted() where !name.hasPrefix(".") && pattern.matches(name) {
                        next.append(FilePath.join(directory, name))
                    }
                } else {
                    let candidate = FilePath.join(directory, component.replacingEscapes)
                    if fileSystem.fileExists(candidate) || fileSystem.isDirectory(candidate) { next.append(candidate) }
                }
            }
            current = last ? next : next.filter { fileSystem.isDirectory($0) }
        }
        let files = current.filter { !fileSystem.isDirectory($0) }.sorted().map { file in
            let modified = (try? fileSystem.modificationMillis(file)) ?? 0
            return ListedFile(
                path: file, size: (try? fileSystem.fileSize(file)) ?? 0, version: String(modified),
                modifiedMillis: modified)
        }
        guard !files.isEmpty else { throw FileSourceError.noFilesFound([location]) }
        return files
    }

    package func read(_ file: ListedFile, offset: Int, length: Int) throws(FileSourceError) -> [UInt8] {
        do {
            let handle = try fileSystem.openForReading(file.path)
            defer { handle.close() }
            let available = max(0, min(length, handle.size - offset))
            return try handle.read(offset: offset, length: available)
        } catch {
            throw FileSourceError(.io, "cannot read \(file.path): \(error)")
        }
    }
}

extension String {
    /// The component with `\` escapes resolved (a literal component may escape glob characters).
    fileprivate var replacingEscapes: String {
        guard contains("\\") else { return self }
        var out = ""
        var escaped = false
        for c in self {
            if escaped || c != "\\" {
                out.append(c)
                escaped = false
            } else {
                escaped = true
            }
        }
        return out
    }
}
