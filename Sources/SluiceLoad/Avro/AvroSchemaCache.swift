import Foundation
import Synchronization

/// Writer schemas by (registry, schema id), for the whole process (spec A.5): registry ids
/// are immutable, so an entry never needs invalidating, and each id is fetched once however
/// many tasks ask at the same time — the first asker fetches, the others wait for its answer.
/// A failed fetch is not cached: the next message asks again (a schema text that does not parse
/// is: the id will never mean anything else).
///
/// Blocking: called from load threads; `fetch` does the HTTP call.
package final class AvroSchemaCache: Sendable {
    /// Fetches the schema text of `id` from `registry` (`GET <registry>/schemas/ids/<id>`).
    package typealias Fetch = @Sendable (_ registry: String, _ id: Int32) throws(AvroError) -> String

    private struct Key: Hashable {
        var registry: String
        var id: Int32
    }

    private enum Entry {
        case loading
        case ready(AvroDecoder)
        /// The registry's text for the id is not a usable schema (ids are immutable: it never will be).
        case unusable(AvroError)
    }

    private let entries = Mutex<[Key: Entry]>([:])
    private let changed = NSCondition()
    private let fetch: Fetch

    package init(fetch: @escaping Fetch) { self.fetch = fetch }

    /// The decoder for `id`'s writer schema, fetched and parsed on first use.
    /// - Throws: ``AvroError``: the registry's answer, or a schema that does not parse.
    package func decoder(registry: String, id: Int32) throws(AvroError) -> AvroDecoder {
        let key = Key(registry: registry, id: id)
        while true {
            let claim: Claim = entries.withLock { entries in
                switch entries[key] {
                case .ready(let decoder): return .ready(decoder)
                case .unusable(let error): return .failed(error)
                case .loading: return .wait
                case nil:
                    entries[key] = .loading
                    return .fetch
                }
            }
            switch claim {
            case .ready(let decoder): return decoder
            case .failed(let error): throw error
            case .fetch: return try load(key)
            case .wait:
                // Another thread is fetching this id: wait for its answer (or its failure).
                changed.lock()
                while entries.withLock({ if case .loading = $0[key] { true } else { false } }) {
                    _ = changed.wait(until: Date(timeIntervalSinceNow: 1))
                }
                changed.unlock()
            }
        }
    }

    private enum Claim {
        case ready(AvroDecoder)
        case failed(AvroError)
        case wait
        case fetch
    }

    private func load(_ key: Key) throws(AvroError) -> AvroDecoder {
        let result: Result<AvroDecoder, AvroError>
        do {
            let text = try fetch(key.registry, key.id)
            result = .success(AvroDecoder(schema: try AvroSchema(json: text)))
        } catch {
            result = .failure(error)
        }
        entries.withLock { entries in
            switch result {
            case .success(let decoder): entries[key] = .ready(decoder)
            case .failure(let error) where error.code == .schema: entries[key] = .unusable(error)
            case .failure: entries[key] = nil
            }
        }
        changed.lock()
        changed.broadcast()
        changed.unlock()
        return try result.get()
    }

    /// How many schemas are cached (tests, status).
    package var count: Int {
        entries.withLock { $0.values.count { if case .ready = $0 { true } else { false } } }
    }
}
