/// A file kept for Routine Load jobs (CREATE FILE: a CA certificate, a client certificate or key
/// that `property.ssl.*.location = "FILE:<name>"` refers to). Its contents live in `files/<id>`;
/// this is the catalog entry (SHOW FILE's columns).
package struct StoredFile: Codable, Sendable, Hashable {
    package var id: Int64
    package var databaseID: Int64
    /// StarRocks' `catalog` property: the consumer of the file (`kafka`).
    package var catalog: String
    package var name: String
    package var size: Int64
    /// Lower-case hex MD5 of the contents.
    package var md5: String

    package init(id: Int64, databaseID: Int64, catalog: String, name: String, size: Int64, md5: String) {
        self.id = id
        self.databaseID = databaseID
        self.catalog = catalog
        self.name = name
        self.size = size
        self.md5 = md5
    }
}
