package import SluiceParquet

/// A listed file of a ``FileStore`` as a Parquet file's bytes.
package struct StoredParquetSource: ParquetSource {
    package let store: any FileStore
    package let file: ListedFile

    package init(store: any FileStore, file: ListedFile) {
        self.store = store
        self.file = file
    }

    package var name: String { file.path }
    package var size: Int { file.size }

    package func read(offset: Int, length: Int) throws -> [UInt8] {
        try store.read(file, offset: offset, length: length)
    }
}

extension ParquetFile {
    /// The Parquet file `file` of `store`.
    /// - Throws: ``ParquetError``, or the store's ``FileSourceError``.
    package convenience init(source store: any FileStore, file: ListedFile) throws {
        try self.init(source: StoredParquetSource(store: store, file: file))
    }
}
