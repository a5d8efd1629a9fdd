import Foundation

/// An Avro schema (the writer schema of a message, as the registry returns it), parsed once per
/// schema id. Named types may refer to themselves (a linked list), so the schema is a graph of
/// nodes addressed by index rather than a tree of values.
package struct AvroSchema: Sendable, Equatable {
    package indirect enum Node: Sendable, Equatable {
        case null
        case boolean
        case int(logical: String?)
        case long(logical: String?)
        case float
        case double
        case bytes(logical: String?)
        case string(logical: String?)
        case record(name: String, fields: [Field])
        case enumeration(name: String, symbols: [String])
        case array(items: Int)
        case map(values: Int)
        case union(branches: [Int])
        case fixed(name: String, size: Int, logical: String?)
    }

    package struct Field: Sendable, Equatable {
        package var name: String
        package var type: Int
    }

    /// Every node; `root` is the datum's schema.
    package private(set) var nodes: [Node] = []
    package private(set) var root = 0

    /// Parses the schema's JSON text.
    /// - Throws: ``AvroError`` naming what is wrong (`Failed to parse schema: …`).
    package init(json text: String) throws(AvroError) {
        let parsed: Any
        do {
            parsed = try JSONSerialization.jsonObject(with: Data(text.utf8), options: [.fragmentsAllowed])
        } catch {
            throw AvroError(code: .schema, "Failed to parse schema: not JSON (\(error.localizedDescription))")
        }
        var parser = Parser()
        root = try parser.node(parsed, namespace: nil)
        nodes = parser.nodes
    }

    package subscript(_ index: Int) -> Node { nodes[index] }

    /// The type name a union branch is known by in Avro's JSON encoding (`{"<name>": value}`):
    /// the primitive's name, or a named type's full name.
    package func typeName(_ index: Int) -> String {
        switch nodes[index] {
        case .null: "null"
        case .boolean: "boolean"
        case .int: "int"
        case .long: "long"
        case .float: "float"
        case .double: "double"
        case .bytes: "bytes"
        case .string: "string"
        case .record(let name, _), .enumeration(let name, _), .fixed(let name, _, _): name
        case .array: "array"
        case .map: "map"
        case .union: "union"
        }
    }

    private struct Parser {
        var nodes: [Node] = []
        /// Full name → node index of every named type defined so far (a record's own name is
        /// defined before its fields, so it may contain itself).
        var named: [String: Int] = [:]

        mutating func add(_ node: Node) -> Int {
            nodes.append(node)
            return nodes.count - 1
        }

        mutating func node(_ json: Any, namespace: String?) throws(AvroError) -> Int {
            switch json {
            case let name as String: return try reference(name, namespace: namespace)
            case let branches as [Any]:
                let index = add(.union(branches: []))
                var resolved = [Int]()
                for branch in branches { resolved.append(try node(branch, namespace: namespace)) }
                guard !resolved.isEmpty else { throw AvroError(code: .schema, "Failed to parse schema: empty union") }
                nodes[index] = .union(branches: resolved)
                return index
            case let object as [String: Any]: return try complex(object, namespace: namespace)
            default: throw AvroError(code: .schema, "Failed to parse schema: unexpected \(json)")
            }
        }

        mutating func reference(_ name: String, namespace: String?) throws(AvroError) -> Int {
            switch name {
            case "null": return add(.null)
            case "boolean": return add(.boolean)
            case "int": return add(.int(logical: nil))
            case "long": return add(.long(logical: nil))
            case "float": return add(.float)
            case "double": return add(.double)
            case "bytes": return add(.bytes(logical: nil))
            case "string": return add(.string(logical: nil))
            default:
                let full = name.contains(".") ? name : namespace.map { "\($0).\(name)" } ?? name
                if let index = named[full] ?? named[name] { return index }
                throw AvroError(code: .schema, "Failed to parse schema: unknown type \(name)")
            }
        }

        mutating func complex(_ object: [String: Any], namespace: String?) throws(AvroError) -> Int {
            guard let type = object["type"] else {
                throw AvroError(code: .schema, "Failed to parse schema: an object has no \"type\"")
            }
            let logical = object["logicalType"] as? String
            guard let kind = type as? String else {
                // {"type": {...}} or {"type": [...]}: the inner schema.
                return try node(type, namespace: namespace)
            }
            switch kind {
            case "int": return add(.int(logical: logical))
            case "long": return add(.long(logical: logical))
            case "bytes": return add(.bytes(logical: logical))
            case "string": return add(.string(logical: logical))
            case "record", "error", "enum", "fixed":
                guard let short = object["name"] as? String else {
                    throw AvroError(code: .schema, "Failed to parse schema: a \(kind) has no name")
                }
                let space = (object["namespace"] as? String).flatMap { $0.isEmpty ? nil : $0 } ?? namespace
                let full = short.contains(".") ? short : space.map { "\($0).\(short)" } ?? short
                let inner = full.contains(".") ? String(full[..<full.lastIndex(of: ".")!]) : space
                let index = add(.null)
                named[full] = index
                switch kind {
                case "enum":
                    nodes[index] = .enumeration(name: full, symbols: object["symbols"] as? [String] ?? [])
                case "fixed":
                    guard let size = object["size"] as? Int, size >= 0 else {
                        throw AvroError(code: .schema, "Failed to parse schema: fixed \(full) has no size")
                    }
                    nodes[index] = .fixed(name: full, size: size, logical: logical)
                default:
                    guard let list = object["fields"] as? [[String: Any]] else {
                        throw AvroError(code: .schema, "Failed to parse schema: record \(full) has no fields")
                    }
                    var fields = [Field]()
                    for item in list {
                        guard let name = item["name"] as? String, let type = item["type"] else {
                            throw AvroError(
                                code: .schema, "Failed to parse schema: a field of \(full) has no name or type")
                        }
                        fields.append(Field(name: name, type: try node(type, namespace: inner)))
                    }
                    nodes[index] = .record(name: full, fields: fields)
                }
                return index
            case "array":
                guard let items = object["items"] else {
                    throw AvroError(code: .schema, "Failed to parse schema: array has no items")
                }
                let index = add(.array(items: 0))
                nodes[index] = .array(items: try node(items, namespace: namespace))
                return index
            case "map":
                guard let values = object["values"] else {
                    throw AvroError(code: .schema, "Failed to parse schema: map has no values")
                }
                let index = add(.map(values: 0))
                nodes[index] = .map(values: try node(values, namespace: namespace))
                return index
            default: return try reference(kind, namespace: namespace)
            }
        }
    }
}

/// A schema, framing, body or registry answer that cannot be used; `message` is what the error
/// log or the job's pause reason shows, `code` what callers decide on.
package struct AvroError: Error, Sendable, Equatable, CustomStringConvertible {
    package enum Code: Sendable, Equatable {
        /// The message is not Confluent-framed (short payload, wrong magic byte).
        case framing
        /// The body does not decode under its writer schema.
        case decode
        /// The registry's schema text is not an Avro schema this reader can use.
        case schema
        /// The registry did not answer with a schema (down, an HTTP error, an unknown id): not the
        /// message's fault — the batch is retried, then the job pauses.
        case registry
    }

    package var code: Code
    package var message: String

    package init(_ message: String, code: Code = .decode) {
        self.code = code
        self.message = message
    }

    package init(code: Code, _ message: String) { self.init(message, code: code) }

    package var description: String { message }
}
