import Foundation

/// One page of an S3 `ListObjectsV2` answer (the XML of `GET /?list-type=2`), read by a small tag
/// scanner: the element names S3 and its compatibles use are fixed and unnested, so no XML
/// library is needed.
package struct S3Listing: Sendable, Equatable {
    package struct Object: Sendable, Equatable {
        package var key: String
        package var size: Int64
        /// The ETag without its quotes: with the key, a file version (Pipe loads each once).
        package var etag: String
        package var lastModified: String
    }

    package var objects: [Object] = []
    /// `NextContinuationToken` when `IsTruncated` is true: ask again with it.
    package var continuationToken: String?

    /// - Throws: ``FileSourceError`` `.io` with S3's `Code` and `Message` when the body is an error.
    package init(xml: String) throws(FileSourceError) {
        if let code = Self.value(of: "Code", in: xml[...]), xml.contains("<Error>") {
            let message = Self.value(of: "Message", in: xml[...]) ?? ""
            throw FileSourceError(.io, "\(code): \(message)")
        }
        var rest = xml[...]
        while let start = rest.range(of: "<Contents>"),
            let end = rest.range(of: "</Contents>", range: start.upperBound..<rest.endIndex)
        {
            let entry = rest[start.upperBound..<end.lowerBound]
            if let key = Self.value(of: "Key", in: entry) {
                objects.append(
                    Object(
                        key: key, size: Int64(Self.value(of: "Size", in: entry) ?? "") ?? 0,
                        etag: (Self.value(of: "ETag", in: entry) ?? "").trimmingQuotes,
                        lastModified: Self.value(of: "LastModified", in: entry) ?? ""))
            }
            rest = rest[end.upperBound...]
        }
        if Self.value(of: "IsTruncated", in: xml[...]) == "true" {
            continuationToken = Self.value(of: "NextContinuationToken", in: xml[...])
        }
    }

    /// The text of the first `<name>…</name>` in `xml`, entities decoded.
    static func value(of name: String, in xml: Substring) -> String? {
        guard let open = xml.range(of: "<\(name)>"),
            let close = xml.range(of: "</\(name)>", range: open.upperBound..<xml.endIndex)
        else { return nil }
        return String(xml[open.upperBound..<close.lowerBound]).decodingEntities
    }
}

extension String {
    fileprivate var decodingEntities: String {
        guard contains("&") else { return self }
        var out = self
        for (entity, text) in [("&quot;", "\""), ("&apos;", "'"), ("&lt;", "<"), ("&gt;", ">"), ("&amp;", "&")] {
            out = out.replacing(entity, with: text)
        }
        return out
    }

    fileprivate var trimmingQuotes: String {
        var s = Substring(self)
        while s.first == "\"" { s.removeFirst() }
        while s.last == "\"" { s.removeLast() }
        return String(s)
    }
}
