import Foundation

/// One schema registry URL of `confluent.schema.registry.url`
/// (`http[s]://[<user>:<password>@]<host>[:<port>][/path]`), split into what requests go to and
/// the Basic-auth credentials from its userinfo, which are never shown (spec A.1, A.6).
package struct SchemaRegistryAddress: Sendable, Hashable {
    /// `scheme://host[:port][/path]` without userinfo and without a trailing `/`.
    package var base: String
    package var user: String?
    package var password: String?

    /// Parses one URL; nil when it is not http(s) with a host.
    package init?(_ text: String) {
        let trimmed = text.trimmingCharacters(in: .whitespaces)
        guard let components = URLComponents(string: trimmed), let scheme = components.scheme?.lowercased(),
            scheme == "http" || scheme == "https", let host = components.host, !host.isEmpty
        else { return nil }
        user = components.user
        password = components.password
        var base = "\(scheme)://\(components.percentEncodedHost ?? host)"
        if let port = components.port { base += ":\(port)" }
        var path = components.percentEncodedPath
        while path.hasSuffix("/") { path.removeLast() }
        self.base = base + path
    }

    /// The URL's list: comma-separated, spaces around items ignored (libserdes `url_list_parse`).
    package static func parseList(_ text: String) -> [SchemaRegistryAddress]? {
        let items = text.split(separator: ",").map { String($0) }.filter {
            !$0.trimmingCharacters(in: .whitespaces).isEmpty
        }
        guard !items.isEmpty else { return nil }
        var list = [SchemaRegistryAddress]()
        for item in items {
            guard let address = SchemaRegistryAddress(item) else { return nil }
            list.append(address)
        }
        return list
    }

    /// What SHOW ROUTINE LOAD's `DataSourceProperties` shows: each URL with its userinfo removed
    /// (`https://user:pw@host:8081` → `https://host:8081`); StarRocks' `wrong
    /// confluent.schema.registry.url` when the text before an `@` is too short to be a URL.
    package static func displayed(_ text: String) -> String {
        let items = text.split(separator: ",", omittingEmptySubsequences: false).map { item -> String in
            let value = item.trimmingCharacters(in: .whitespaces)
            guard let at = value.lastIndex(of: "@") else { return value }
            let before = value[..<at]
            guard before.count >= 5, let schemeEnd = before.range(of: "://") else {
                return "wrong confluent.schema.registry.url"
            }
            return String(value[..<schemeEnd.upperBound]) + String(value[value.index(after: at)...])
        }
        return items.joined(separator: ",")
    }
}
